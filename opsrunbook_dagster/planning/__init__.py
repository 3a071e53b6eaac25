"""Action planning: from a packet to a deterministic plan, and the exact requests each action sends."""

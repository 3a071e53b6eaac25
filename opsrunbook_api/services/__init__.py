"""Service layer between the routes and the stores: no FastAPI here, only domain errors."""

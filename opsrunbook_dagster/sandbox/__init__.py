"""The embedded AWS sandbox: moto in server mode, the project's resources, incident scenarios."""

"""The closed loop: from a project's set point and run history, the next configuration."""

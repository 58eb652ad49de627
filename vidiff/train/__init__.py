"""Training: datasets (real clips + procedural motion over photos), the accelerate trainer, configs."""

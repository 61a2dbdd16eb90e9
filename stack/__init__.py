"""Product-side orchestration of the deployed stack: deploy, feed, run and follow the training
pipeline, print what it decided, and roll the champion back (`python -m stack --help`)."""

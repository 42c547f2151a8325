"""Publishing a built site: to a folder, a git branch or an S3 bucket."""

"""The card's files under its run's artifacts and in an export, where serving finds them."""

ARTIFACT_DIR = "model_card"
MARKDOWN_FILE = "model-card.md"
HTML_FILE = "model-card.html"

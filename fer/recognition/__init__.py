"""One frame: faces found by the Haar cascade, cropped to the model's input and classified in their views
by the served TFLite model, whose files are checked against their card."""

"""What training and evaluation need of the library (the app never imports it): FER2013 and the FER+
votes, the Keras CNN, and the metrics. The commands are in ``scripts/training``."""

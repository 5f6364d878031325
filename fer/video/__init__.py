"""A stream of frames: faces followed between searches with their ids and smoothed emotions, the mood per
second, the overlay, and the webcam's frame callback."""

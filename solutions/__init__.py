"""The six steps of the Keras MNIST course: the reference solutions."""

"""The six steps of the Keras MNIST course: the exercises to fill in."""

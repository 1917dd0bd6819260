"""mnist-grade: the autograder of the Keras MNIST course."""

__version__ = "0.1.0"

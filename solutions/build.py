import keras
from keras import layers

num_classes = 10


def build_model():
    # Each image arrives as 784 values; 512 relu units learn features, 10 softmax units give one
    # probability per digit.
    return keras.Sequential(
        [
            keras.Input(shape=(28 * 28,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )

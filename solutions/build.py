# Step 4: build the network.
# Take 784 inputs (keras.Input), then a Dense layer of 512 units with relu, then a Dense layer of
# 10 units with softmax, one probability per digit. Return the Keras model.
import keras
from keras import layers

# BEGIN SOLUTION
num_classes = 10
# END SOLUTION


def build_model():
    # BEGIN SOLUTION: build and return the model.
    # Each image arrives as 784 values; 512 relu units learn features, 10 softmax units give one
    # probability per digit.
    return keras.Sequential(
        [
            keras.Input(shape=(28 * 28,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    # END SOLUTION

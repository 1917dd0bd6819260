from keras.utils import to_categorical

num_classes = 10


def one_hot_labels(labels):
    # Turn each digit into a row of 10 values: 1 at the digit's index, 0 elsewhere.
    return to_categorical(labels, num_classes)

# Step 3: one-hot labels.
# Each label is a digit from 0 to 9; the network answers with 10 probabilities, one per digit.
# Return an array of shape (N, 10) of floats: row i is all 0 except a 1 in column labels[i].
from keras.utils import to_categorical

# BEGIN SOLUTION
num_classes = 10
# END SOLUTION


def one_hot_labels(labels):
    # BEGIN SOLUTION: encode each label (keras.utils.to_categorical can help).
    # Turn each digit into a row of 10 values: 1 at the digit's index, 0 elsewhere.
    return to_categorical(labels, num_classes)
    # END SOLUTION

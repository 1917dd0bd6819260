# Step 1: reshape.
# MNIST gives each image as a 28×28 grid of pixels; the network wants one row of 28 * 28 = 784 values.
# Return `images`, of shape (N, 28, 28), as an array of shape (N, 784), for any number of images N.


def reshape_images(images):
    # BEGIN SOLUTION: flatten each image into one row.
    # Flatten each 28×28 image into one row of 784 pixels, whatever the number of images.
    return images.reshape((len(images), 28 * 28))
    # END SOLUTION

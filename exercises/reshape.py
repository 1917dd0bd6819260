# Step 1: reshape.
# MNIST gives each image as a 28×28 grid of pixels; the network wants one row of 28 * 28 = 784 values.
# Return `images`, of shape (N, 28, 28), as an array of shape (N, 784), for any number of images N.


def reshape_images(images):
    # TODO: flatten each image into one row.
    raise NotImplementedError

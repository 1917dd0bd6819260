def reshape_images(images):
    # Flatten each 28×28 image into one row of 784 pixels, whatever the number of images.
    return images.reshape((len(images), 28 * 28))

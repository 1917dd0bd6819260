def normalize_images(images):
    # Convert the uint8 pixels to float32, then scale them from [0, 255] to [0, 1].
    return images.astype("float32") / 255

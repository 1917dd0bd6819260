# Step 2: normalize.
# Pixels are integers from 0 to 255 (uint8); the network learns best from small floats.
# Return the images as float32 values between 0 and 1: each pixel divided by 255.


def normalize_images(images):
    # TODO: convert to float32, then scale.
    raise NotImplementedError

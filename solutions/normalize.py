# Step 2: normalize.
# Pixels are integers from 0 to 255 (uint8); the network learns best from small floats.
# Return the images as float32 values between 0 and 1: each pixel divided by 255.


def normalize_images(images):
    # BEGIN SOLUTION: convert to float32, then scale.
    # Convert the uint8 pixels to float32, then scale them from [0, 255] to [0, 1].
    return images.astype("float32") / 255
    # END SOLUTION

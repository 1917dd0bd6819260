# Step 6: fit.
# Train the model on the images and one-hot labels you are given: 5 epochs, batches of 128 images.
# Return the History that model.fit returns.


def fit_model(model, images, labels):
    # BEGIN SOLUTION: train the model.
    # Train for 5 passes over the data, 128 images at a time, and return the History.
    return model.fit(images, labels, epochs=5, batch_size=128)
    # END SOLUTION

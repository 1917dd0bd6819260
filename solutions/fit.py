def fit_model(model, images, labels):
    # Train for 5 passes over the data, 128 images at a time, and return the History.
    return model.fit(images, labels, epochs=5, batch_size=128)

def compile_model(model):
    # Choose how the network learns: the rmsprop optimizer, the loss it minimises, the metric we watch.
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model

"""Submissions as beginners really write them: wrong ones, and correct ones written differently.

Each wrong variant names the step it must fail and the exact block of grader output it must show.
"""

WRONG = {
    "reshape_hard_coded_60000": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return images.reshape(60000, 784)\n"},
        "✗ reshape    0/10\n"
        "    reshape_images() raised ValueError: cannot reshape array of size 784000 into shape (60000,784)\n"
        "      {folder}/reshape.py, line 2, in reshape_images\n"
        "        return images.reshape(60000, 784)\n"
        "    Help: the grader passes 1,000 images, not 60,000: use len(images) (or -1) instead of a fixed count.",
    ),
    "reshape_in_place": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    images.shape = (len(images), 784)\n    return images\n"},
        "✗ reshape    8/10\n"
        "    ✓ reshape returns (N, 784) for any number of images N\n"
        "    ✓ reshape keeps the pixels' dtype (uint8)\n"
        "    ✓ reshape lays out each image row by row\n"
        "    ✗ reshape leaves the images it is given unchanged\n"
        "      expected the input to stay (1000, 28, 28) uint8 and unchanged, got it changed\n"
        "      Help: return a new array (images.reshape(...)) instead of changing `images` in place.",
    ),
    "normalize_forgot_255": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return images.astype('float32')\n"},
        "✗ normalize  7/10\n"
        "    ✓ normalize keeps the shape of its input\n"
        "    ✓ normalize returns float32\n"
        "    ✗ normalize returns images / 255, values between 0 and 1\n"
        "      expected values between 0 and 1, got values from 0 to 255\n"
        "      Help: divide by 255, the largest value a pixel can have.\n"
        "    ✓ normalize leaves the images it is given unchanged",
    ),
    "normalize_float64": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return images / 255\n"},
        "✗ normalize  7/10\n"
        "    ✓ normalize keeps the shape of its input\n"
        "    ✗ normalize returns float32\n"
        "      expected float32, got float64\n"
        '      Help: dividing uint8 pixels by 255 makes float64; convert first: images.astype("float32") / 255.\n'
        "    ✓ normalize returns images / 255, values between 0 and 1\n"
        "    ✓ normalize leaves the images it is given unchanged",
    ),
    "normalize_floor_division": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return images // 255\n"},
        "✗ normalize  4/10\n"
        "    ✓ normalize keeps the shape of its input\n"
        "    ✗ normalize returns float32\n"
        "      expected float32, got uint8\n"
        "      Help: `//` divides and drops the fraction, so each pixel becomes 0 or 1: use `/`, as in "
        'images.astype("float32") / 255.\n'
        "    ✗ normalize returns images / 255, values between 0 and 1\n"
        "      expected images / 255, got values that differ from it by up to 0.996\n"
        "      Help: `//` drops the fraction, so each pixel becomes 0 or 1: divide with `/`.\n"
        "    ✓ normalize leaves the images it is given unchanged",
    ),
    "normalize_no_import_of_numpy": (
        "normalize",
        {"normalize": "def normalize_images(images):\n    return np.float32(images) / 255\n"},
        "✗ normalize  0/10\n"
        "    normalize_images() raised NameError: name 'np' is not defined\n"
        "      {folder}/normalize.py, line 2, in normalize_images\n"
        "        return np.float32(images) / 255\n"
        "    Help: np is not imported: add `import numpy as np` at the top of {folder}/normalize.py.",
    ),
    "reshape_typo": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return image.reshape(len(images), 784)\n"},
        "✗ reshape    0/10\n"
        "    reshape_images() raised NameError: name 'image' is not defined\n"
        "      {folder}/reshape.py, line 2, in reshape_images\n"
        "        return image.reshape(len(images), 784)\n"
        "    Help: check the spelling: there is no image here, but there is images.",
    ),
    "reshape_returns_its_input": (
        "reshape",
        {"reshape": "def reshape_images(images):\n    return images\n"},
        "✗ reshape    4/10\n"
        "    ✗ reshape returns (N, 784) for any number of images N\n"
        "      expected (1000, 784), got (1000, 28, 28)\n"
        "      Help: the images came back as they were: return images.reshape(len(images), 784).\n",
    ),
    "one_hot_transposed": (
        "one_hot",
        {"one_hot": "import numpy as np\n\n\ndef one_hot_labels(labels):\n    return np.eye(10)[labels].T\n"},
        "✗ one_hot    2/10\n"
        "    ✗ one_hot returns (N, 10): one row per label, one column per digit\n"
        "      expected (1000, 10), got (10, 1000)\n"
        "      Help: one row per label: (len(labels), 10), not (10, len(labels)).\n",
    ),
    "normalize_syntax_error": (
        "normalize",
        {"normalize": "def normalize_images(images)\n    return images / 255\n"},
        "✗ normalize  0/10\n"
        "    importing {folder}/normalize.py raised SyntaxError: expected ':'\n"
        "      {folder}/normalize.py, line 1, in <module>\n"
        "        def normalize_images(images)\n"
        "    Help: Python stops at the first error in a file; fix the line shown.",
    ),
    "normalize_sys_exit": (
        "normalize",
        {"normalize": "import sys\n\n\ndef normalize_images(images):\n    sys.exit()\n"},
        "✗ normalize  0/10\n"
        "    normalize_images() called sys.exit(), which would end the program\n"
        "    Help: return the result instead of exiting.",
    ),
    "one_hot_renamed": (
        "one_hot",
        {"one_hot": "def one_hot(labels):\n    return labels\n"},
        "✗ one_hot    0/10\n"
        "    {folder}/one_hot.py has no function one_hot_labels()\n"
        "    Help: keep the name the exercise gives: def one_hot_labels(...).",
    ),
    "one_hot_os_exit_on_import": (
        "one_hot",
        {"one_hot": "import os\n\nos._exit(3)\n"},
        "✗ one_hot    0/10\n"
        "    the process running one_hot ended before your code returned (exit code 3)\n"
        "    Help: something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.",
    ),
    "one_hot_integers": (
        "one_hot",
        {"one_hot": "import numpy as np\n\n\ndef one_hot_labels(labels):\n    return np.eye(10, dtype=int)[labels]\n"},
        "✗ one_hot    8/10\n"
        "    ✓ one_hot returns (N, 10): one row per label, one column per digit\n"
        "    ✗ one_hot returns floats\n"
        "      expected a float dtype, got int64\n"
        "      Help: the loss compares the labels with probabilities, which are floats: to_categorical gives floats, "
        'or convert with .astype("float32").\n'
        "    ✓ one_hot puts a single 1 at each label's index, 0 elsewhere",
    ),
    "build_sigmoid_output": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dense(10, activation='sigmoid')])\n")},
        "✗ build      17/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✓ build makes a model that takes 784 inputs\n"
        "    ✓ build stacks exactly two Dense layers\n"
        "    ✓ build gives the first Dense layer 512 units and relu\n"
        "    ✗ build gives the last Dense layer 10 units and softmax\n"
        '      expected Dense(10, activation="softmax"), got Dense(10, activation="sigmoid")\n'
        "      Help: one unit per digit; softmax turns them into 10 probabilities that add up to 1.\n"
        "    ✓ build's model has 407,050 parameters",
    ),
    "build_no_input": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    return keras.Sequential([layers.Dense(512, activation='relu'), layers.Dense(10, "
            "activation='softmax')])\n")},
        "✗ build      14/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✗ build makes a model that takes 784 inputs\n"
        "      expected a model that takes 784 inputs, got a model with no input shape yet\n"
        "      Help: start the model with keras.Input(shape=(784,)).\n"
        "    ✓ build stacks exactly two Dense layers\n"
        "    ✓ build gives the first Dense layer 512 units and relu\n"
        "    ✓ build gives the last Dense layer 10 units and softmax\n"
        "    ✗ build's model has 407,050 parameters\n"
        "      expected 407,050, got an unbuilt model\n"
        "      Help: 784 × 512 + 512 weights and biases, then 512 × 10 + 10: check the layer sizes and inputs.",
    ),
    "build_extra_dropout": (
        "build",
        {"build": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def build_model():\n"
            "    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dropout(0.5), layers.Dense(10, activation='softmax')])\n")},
        "✗ build      16/20\n"
        "    ✓ build returns a Keras model\n"
        "    ✓ build makes a model that takes 784 inputs\n"
        "    ✗ build stacks exactly two Dense layers\n"
        "      expected Dense, Dense, got Dense, Dropout, Dense\n"
        "      Help: the seed's network has two Dense layers and nothing else.\n"
        "    ✓ build gives the first Dense layer 512 units and relu\n"
        "    ✓ build gives the last Dense layer 10 units and softmax\n"
        "    ✓ build's model has 407,050 parameters",
    ),
    "build_killed": (
        "build",
        {"build": "import os\nimport signal\n\n\ndef build_model():\n    os.kill(os.getpid(), signal.SIGKILL)\n"},
        "✗ build      0/20\n"
        "    the process running build ended before your code returned (killed by signal SIGKILL)\n"
        "    Help: something in your code ended Python (os._exit, os.kill, a crash in a library); remove it.",
    ),
    "compile_sparse_loss": (
        "compile",
        {"compile": ("def compile_model(model):\n"
            "    model.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n")},
        "✗ compile    11/15\n"
        "    ✓ compile returns the compiled model\n"
        "    ✓ compile uses the rmsprop optimizer\n"
        "    ✗ compile uses categorical cross-entropy as the loss\n"
        "      expected categorical_crossentropy, got sparse_categorical_crossentropy\n"
        "      Help: the sparse loss is for integer labels; one-hot labels need categorical_crossentropy.\n"
        "    ✓ compile tracks accuracy",
    ),
    "compile_adam_mse": (
        "compile",
        {"compile": ("def compile_model(model):\n"
            "    model.compile(optimizer='adam', loss='mse', metrics=['accuracy'])\n"
            "    return model\n")},
        "✗ compile    7/15\n"
        "    ✓ compile returns the compiled model\n"
        "    ✗ compile uses the rmsprop optimizer\n"
        "      expected RMSprop, got Adam\n"
        '      Help: the seed trains with optimizer="rmsprop".\n'
        "    ✗ compile uses categorical cross-entropy as the loss\n"
        "      expected categorical_crossentropy, got mse\n"
        '      Help: with one-hot labels and softmax, use loss="categorical_crossentropy".\n'
        "    ✓ compile tracks accuracy",
    ),
    "compile_missing_return": (
        "compile",
        {"compile": ("def compile_model(model):\n"
            "    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\n")},
        "✗ compile    0/15\n"
        "    expected the compiled model, got None\n"
        "    Help: end compile_model with `return model`.",
    ),
    "compile_accuracy_object": (
        "compile",
        {"compile": ("import keras\n"
            "\n"
            "\n"
            "def compile_model(model):\n"
            "    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', "
            "metrics=[keras.metrics.Accuracy()])\n"
            "    return model\n")},
        "✗ compile    11/15\n"
        "    ✓ compile returns the compiled model\n"
        "    ✓ compile uses the rmsprop optimizer\n"
        "    ✓ compile uses categorical cross-entropy as the loss\n"
        "    ✗ compile tracks accuracy\n"
        '      expected "accuracy", got keras.metrics.Accuracy()\n'
        '      Help: Accuracy() counts exact matches of probabilities; metrics=["accuracy"] picks the right one.',
    ),
    "fit_one_epoch": (
        "fit",
        {"fit": ("def fit_model(model, images, labels):\n"
            "    return model.fit(images, labels, epochs=1, batch_size=128, verbose=0)\n")},
        "✗ fit        9/15\n"
        "    ✓ fit returns the History of training\n"
        "    ✗ fit trains for 5 epochs\n"
        "      expected 5 epochs, got 1\n"
        "      Help: pass epochs=5 to model.fit.\n"
        "    ✓ fit uses batches of 128 images (469 steps an epoch)",
    ),
    # What the grader judges is what the program goes on to use: the model compile_model returns, and the
    # model fit_model is given, which the program then tests. Each of these earned full marks once.
    "compile_returns_another_model": (
        "compile",
        {"compile": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def compile_model(model):\n"
            "    other = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dense(10, activation='softmax')])\n"
            "    other.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "    return other\n")},
        "✗ compile    0/15\n"
        "    expected the model compile_model is given, compiled, got another Sequential\n"
        "    Help: call model.compile(...) on the model you are given, then return that model.",
    ),
    "fit_trains_another_model": (
        "fit",
        {"fit": ("import keras\n"
            "from keras import layers\n"
            "\n"
            "\n"
            "def fit_model(model, images, labels):\n"
            "    other = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, "
            "activation='relu'), layers.Dense(10, activation='softmax')])\n"
            "    other.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "    return other.fit(images, labels, epochs=5, batch_size=128, verbose=0)\n")},
        "✗ fit        0/15\n"
        "    expected the History of training the model fit_model is given, got the "
        "History of another model, or one made by hand\n"
        "    Help: train the model you are given, and return what its fit returns: return model.fit(...).",
    ),
    "fit_returns_another_history": (
        "fit",
        {"fit": ("import keras\n"
            "\n"
            "\n"
            "def fit_model(model, images, labels):\n"
            "    model.fit(images, labels, epochs=1, batch_size=128, verbose=0)\n"
            "    other = keras.models.clone_model(model)\n"
            "    other.compile(optimizer='rmsprop', loss='categorical_crossentropy')\n"
            "    return other.fit(images[:1280], labels[:1280], epochs=5, batch_size=128, verbose=0)\n")},
        "✗ fit        0/15\n"
        "    expected the History of training the model fit_model is given, got the "
        "History of another model, or one made by hand\n"
        "    Help: train the model you are given, and return what its fit returns: return model.fit(...).",
    ),
    "fit_history_made_by_hand": (
        "fit",
        {"fit": ("import keras\n"
            "\n"
            "\n"
            "def fit_model(model, images, labels):\n"
            "    history = keras.callbacks.History()\n"
            "    history.set_model(model)\n"
            "    history.set_params({'epochs': 5, 'steps': 469, 'verbose': 1})\n"
            "    history.epoch = [0, 1, 2, 3, 4]\n"
            "    return history\n")},
        "✗ fit        0/15\n"
        "    expected 2345 training steps of the model you are given, as its History says, got 0\n"
        "    Help: call model.fit once, on the model you are given, and return what it returns.",
    ),
    "fit_recompiles": (
        "fit",
        {"fit": ("def fit_model(model, images, labels):\n"
            "    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model.fit(images[:256], labels[:256], epochs=5, batch_size=128, verbose=0)\n")},
        "✗ fit        0/15\n"
        "    expected the model as compile_model compiled it, got a model compiled again in fit_model\n"
        "    Help: do not call model.compile in fit_model: train the model as it is given.",
    ),
}

# Written differently from the solutions, and right: each must pass its step in full.
CORRECT = {
    "reshape_minus_one": ("reshape", {"reshape": ("import numpy as np\n"
        "\n"
        "\n"
        "def reshape_images(images):\n"
        "    return np.reshape(images, (-1, 28 * 28))\n")}),
    "reshape_prints": ("reshape", {"reshape": ("def reshape_images(images):\n"
        "    print('shape before:', images.shape)\n"
        "    print('x' * 100000)\n"
        "    return images.reshape(images.shape[0], 784)\n")}),
    "normalize_divide_float": ("normalize", {"normalize": ("import numpy as np\n"
        "\n"
        "\n"
        "def normalize_images(images):\n"
        "    return np.float32(images) / np.float32(255.0)\n")}),
    "one_hot_eye": ("one_hot", {"one_hot": ("import numpy as np\n"
        "\n"
        "\n"
        "def one_hot_labels(labels):\n"
        "    return np.eye(10)[labels]\n")}),
    "build_functional": ("build", {"build": ("import keras\n"
        "from keras import activations, layers\n"
        "\n"
        "\n"
        "def build_model():\n"
        "    inputs = keras.Input(shape=(784,))\n"
        "    x = layers.Dense(512, activation=activations.relu)(inputs)\n"
        "    outputs = layers.Dense(10, activation=activations.softmax)(x)\n"
        "    return keras.Model(inputs, outputs)\n")}),
    "build_seed_style": ("build", {"build": ("from keras import layers, models\n"
        "\n"
        "\n"
        "def build_model():\n"
        "    network = models.Sequential()\n"
        "    network.add(layers.Dense(512, activation='relu', input_shape=(28 * 28,)))\n"
        "    network.add(layers.Dense(10, activation='softmax'))\n"
        "    return network\n")}),
    "compile_objects": ("compile", {"compile": ("import keras\n"
        "\n"
        "\n"
        "def compile_model(model):\n"
        "    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.CategoricalCrossentropy(), "
        "metrics=['acc'])\n"
        "    return model\n")}),
    "compile_function_loss": ("compile", {"compile": ("import keras\n"
        "\n"
        "\n"
        "def compile_model(model):\n"
        "    model.compile(optimizer='rmsprop', loss=keras.losses.categorical_crossentropy, "
        "metrics=[keras.metrics.CategoricalAccuracy()])\n"
        "    return model\n")}),
}

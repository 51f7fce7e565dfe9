"""What every part of the package speaks: settings, data description, tasks, data, errors,
saved models, the search, and the checks data passes."""

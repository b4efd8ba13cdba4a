package dev.rill.converter.pytorch;

/** The nonlinearity of {@code nn.RNN} / {@code nn.RNNCell}; the weights do not record it, so it is a flag or spec entry. */
public enum Nonlinearity {
  /** PyTorch's default. */
  TANH,
  /** {@code nonlinearity='relu'}. */
  RELU
}

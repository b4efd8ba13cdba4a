package dev.rill.runtime.internal.kernel;

/** The recurrent cell kinds, with their gate counts and the number of activation functions they take. */
public enum CellKind {
  /** Gates i, o, f, c; activations f, g, h. */
  LSTM(4, 3),
  /** Gates z, r, h; activations f, g. */
  GRU(3, 2),
  /** Gates u, c; activations f, g. */
  MINIMAL_GRU(2, 2),
  /** One gate; activation f. */
  RNN(1, 1);

  private final int gates;
  private final int activationCount;

  CellKind(int gates, int activationCount) {
    this.gates = gates;
    this.activationCount = activationCount;
  }

  public int gates() {
    return gates;
  }

  public int activationCount() {
    return activationCount;
  }

  /** True when the cell carries a second state vector c beside h. */
  public boolean hasCellState() {
    return this == LSTM;
  }
}

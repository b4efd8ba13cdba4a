package dev.rill.trainer.nn;

/** The recurrent cells the trainer knows, each with exactly the runtime's (ONNX) equations. */
public enum CellKind {
  /** Simple RNN: h = f(W x + R h + b), f = tanh or relu. */
  RNN(1),
  /** GRU with the reset gate applied to h before the recurrent product (ONNX default, linear_before_reset = 0). */
  GRU(3),
  /** GRU with the reset gate applied after the recurrent product (PyTorch's, linear_before_reset = 1). */
  GRU_LINEAR_BEFORE_RESET(3),
  /** GRU with an update gate only. */
  MINIMAL_GRU(2),
  /** LSTM, with optional peepholes. */
  LSTM(4);

  private final int gates;

  CellKind(int gates) {
    this.gates = gates;
  }

  /** @return the number of gate blocks of H rows in W and R */
  public int gates() {
    return gates;
  }
}

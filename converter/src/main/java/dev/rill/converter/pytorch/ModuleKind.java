package dev.rill.converter.pytorch;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The PyTorch modules that Rill imports, with the names used for them in a spec file. */
public enum ModuleKind {
  /** {@code nn.LSTM}: parameters {@code weight_ih_l{k}[_reverse]}, {@code weight_hh_l{k}...}, {@code bias_ih_l{k}...}, {@code bias_hh_l{k}...}. */
  LSTM("lstm", 4, true),
  /** {@code nn.GRU}, same naming as LSTM. */
  GRU("gru", 3, true),
  /** {@code nn.RNN} (tanh or relu), same naming as LSTM. */
  RNN("rnn", 1, true),
  /** {@code nn.LSTMCell}: {@code weight_ih}, {@code weight_hh}, {@code bias_ih}, {@code bias_hh}. */
  LSTM_CELL("lstm_cell", 4, true),
  /** {@code nn.GRUCell}, same naming as LSTMCell. */
  GRU_CELL("gru_cell", 3, true),
  /** {@code nn.RNNCell} (tanh or relu), same naming as LSTMCell. */
  RNN_CELL("rnn_cell", 1, true),
  /** {@code nn.Linear}: {@code weight} [out, in], optional {@code bias} [out]. */
  LINEAR("linear", 0, false),
  /** {@code nn.Embedding}: {@code weight} [vocabulary, dim]. */
  EMBEDDING("embedding", 0, false);

  private final String specName;
  private final int gates;
  private final boolean recurrent;

  ModuleKind(String specName, int gates, boolean recurrent) {
    this.specName = specName;
    this.gates = gates;
    this.recurrent = recurrent;
  }

  /** The name of this kind in a spec file, e.g. {@code lstm_cell}. */
  public String specName() {
    return specName;
  }

  /** Gate blocks in the weight matrices (4 LSTM, 3 GRU, 1 RNN; 0 for non-recurrent modules). */
  int gates() {
    return gates;
  }

  /** True for the recurrent modules and cells. */
  public boolean isRecurrent() {
    return recurrent;
  }

  /** True for the single-step cells. */
  boolean isCell() {
    return this == LSTM_CELL || this == GRU_CELL || this == RNN_CELL;
  }

  /** The stacked module or cell of the given gate count. */
  static ModuleKind recurrentOf(int gates, boolean cell) {
    return switch (gates) {
      case 4 -> cell ? LSTM_CELL : LSTM;
      case 3 -> cell ? GRU_CELL : GRU;
      default -> cell ? RNN_CELL : RNN;
    };
  }

  /**
   * The kind with that spec name.
   *
   * @throws IllegalArgumentException listing the valid names
   */
  public static ModuleKind ofSpecName(String name) {
    for (ModuleKind k : values()) {
      if (k.specName.equals(name.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown module kind '" + name + "' (valid: "
        + Arrays.stream(values()).map(ModuleKind::specName).collect(Collectors.joining(", ")) + ")");
  }
}

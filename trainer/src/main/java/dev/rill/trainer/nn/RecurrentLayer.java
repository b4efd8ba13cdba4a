package dev.rill.trainer.nn;

import dev.rill.trainer.tensor.Activation;
import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * A recurrent layer of one or two directions; a bidirectional layer's output is [forward H | reverse H], as in
 * ONNX. Only the forward direction carries its state from one window to the next; the reverse direction
 * starts every window from zero.
 */
public final class RecurrentLayer {
  private final Ops ops;
  private final List<Cell> directions = new ArrayList<>();
  private final int hidden;
  private Matrix out;
  private Matrix dIn;

  RecurrentLayer(Ops ops, String name, CellKind kind, int input, int hidden, boolean bidirectional, boolean peepholes,
      Activation rnnActivation) {
    this.ops = ops;
    this.hidden = hidden;
    directions.add(cell(ops, name + ".forward", kind, input, hidden, false, peepholes, rnnActivation));
    if (bidirectional) {
      directions.add(cell(ops, name + ".reverse", kind, input, hidden, true, peepholes, rnnActivation));
    }
  }

  private static Cell cell(Ops ops, String name, CellKind kind, int input, int hidden, boolean reverse, boolean peepholes,
      Activation rnnActivation) {
    if (peepholes && kind != CellKind.LSTM) {
      throw new IllegalArgumentException("peepholes are an LSTM option, not a " + kind + " one");
    }
    return switch (kind) {
      case LSTM -> new LstmCell(ops, name, input, hidden, reverse, peepholes);
      case GRU -> new GruCell(ops, name, input, hidden, reverse, false);
      case GRU_LINEAR_BEFORE_RESET -> new GruCell(ops, name, input, hidden, reverse, true);
      case MINIMAL_GRU -> new MinimalGruCell(ops, name, input, hidden, reverse);
      case RNN -> new RnnCell(ops, name, input, hidden, reverse, rnnActivation);
    };
  }

  /** @return the directions, forward first */
  public List<Cell> directions() {
    return List.copyOf(directions);
  }

  /** @return D·H */
  public int outputSize() {
    return directions.size() * hidden;
  }

  /** @return the trained tensors */
  public List<Param> params() {
    List<Param> list = new ArrayList<>();
    directions.forEach(d -> list.addAll(d.params()));
    return list;
  }

  /**
   * @param x the input [T·B, X]
   * @param t steps
   * @param b streams
   * @return the output [T·B, D·H]
   */
  Matrix forward(Matrix x, int t, int b) {
    if (out == null || out.rows() != t * b) {
      out = ops.zeros(t * b, outputSize());
      dIn = ops.zeros(t * b, x.cols());
    }
    for (int d = 0; d < directions.size(); d++) {
      Cell cell = directions.get(d);
      if (d == 1) {
        cell.resetState();
      }
      cell.forward(x, t, b);
      ops.copy(out.cols(d * hidden, hidden), cell.outputs());
    }
    return out;
  }

  /**
   * @param dOut the gradient with respect to the output [T·B, D·H]
   * @return the gradient with respect to the input [T·B, X]
   */
  Matrix backward(Matrix dOut) {
    ops.fill(dIn, 0);
    for (int d = 0; d < directions.size(); d++) {
      Cell cell = directions.get(d);
      ops.copy(cell.outputGradients(), dOut.cols(d * hidden, hidden));
      cell.backward(dIn);
    }
    return dIn;
  }

  /** Sets the carried state to zero. */
  void resetState() {
    directions.forEach(Cell::resetState);
  }
}

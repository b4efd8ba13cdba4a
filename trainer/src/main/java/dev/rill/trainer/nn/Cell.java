package dev.rill.trainer.nn;

import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * One direction of a recurrent layer, run over a window of T time steps of B streams. Rows of every window
 * matrix are time-major: row {@code t * B + b} is stream b at time t.
 *
 * <p>The phases are those of ONNX Runtime's LSTM: <b>project the inputs</b> of all T steps at once
 * ({@code pre = X·Wᵀ + Wb}), then, step by step, the cell's <b>recurrent products</b> ({@code h·Rᵀ + Rb}) and
 * its <b>gate updates</b>. Backward runs the steps in reverse and then computes the weight gradients of the
 * whole window as matrix products. Each subclass holds one cell's equations, forward and backward.
 *
 * <p>The state chain {@code hs} has T + 1 blocks of B rows: for the forward direction block 0 is the initial
 * state and block t + 1 is h(t); for the reverse direction block T is the initial state and block t is h(t).
 */
public abstract class Cell {
  /** The precision. */
  protected final Ops ops;
  /** Hidden size H. */
  protected final int hidden;
  /** Input size X. */
  protected final int input;
  /** Whether time runs backwards. */
  protected final boolean reverse;
  /** Input weights [G·H, X], gate-major in ONNX order. */
  protected final Param w;
  /** Recurrent weights [G·H, H]. */
  protected final Param r;
  /** Input bias [1, G·H]. */
  protected final Param wb;
  /** Recurrent bias [1, G·H]. */
  protected final Param rb;

  /** Steps of the current window. */
  protected int steps;
  /** Streams of the current window. */
  protected int batch;
  /** Pre-activations [T·B, G·H]; the cells turn them into their gate values in place. */
  protected Matrix pre;
  /** Gradients with respect to the input projection plus Wb, [T·B, G·H]. */
  protected Matrix dPre;
  /** The hidden state chain [(T + 1)·B, H]. */
  protected Matrix hs;
  /** Gradient with respect to h(t) from above (the layer's output), [T·B, H]. */
  protected Matrix dOut;
  /** Gradient with respect to the previous step's h, carried backwards, [B, H]. */
  protected Matrix dhCarry;
  /** The total gradient with respect to h(t) at the current backward step, [B, H]. */
  protected Matrix dh;
  /** The last window's input, [T·B, X]. */
  private Matrix x;
  private State state;
  private final List<Ops.Packed> packed = new ArrayList<>();
  /** Rᵀ, prepared once per window for the recurrent products of every step (null for the reset-before GRU). */
  protected final Ops.Packed rForward;
  /** R, prepared once per window for the recurrent gradients of every step (null for the reset-before GRU). */
  protected final Ops.Packed rBackward;

  /**
   * @param ops the precision
   * @param kind the cell, for the number of gates
   * @param name the parameters' name prefix
   * @param input X
   * @param hidden H
   * @param reverse whether time runs backwards
   */
  protected Cell(Ops ops, CellKind kind, String name, int input, int hidden, boolean reverse) {
    this.ops = ops;
    this.hidden = hidden;
    this.input = input;
    this.reverse = reverse;
    int rows = kind.gates() * hidden;
    this.w = Param.zeros(ops, name + ".W", rows, input);
    this.r = Param.zeros(ops, name + ".R", rows, hidden);
    this.wb = Param.zeros(ops, name + ".Wb", 1, rows);
    this.rb = Param.zeros(ops, name + ".Rb", 1, rows);
    // A cell whose gates meet R in parts (the GRU that resets before the product) prepares its own views.
    boolean whole = kind != CellKind.GRU;
    this.rForward = whole ? pack(r.value(), true) : null;
    this.rBackward = whole ? pack(r.value(), false) : null;
  }

  /**
   * Prepares a view of the weights for the products of every step; it is refreshed at the start of each
   * forward and backward pass.
   *
   * @param weights a view of W or R
   * @param transpose whether the products use its transpose
   * @return the prepared matrix
   */
  protected final Ops.Packed pack(Matrix weights, boolean transpose) {
    Ops.Packed p = ops.pack(weights, transpose);
    packed.add(p);
    return p;
  }

  /** @return the trained tensors of this direction */
  public List<Param> params() {
    List<Param> list = new ArrayList<>(List.of(w, r, wb, rb));
    list.addAll(extraParams());
    return list;
  }

  /** @return tensors beyond W, R and the biases (peepholes) */
  protected List<Param> extraParams() {
    return List.of();
  }

  /** @return H */
  public int hidden() {
    return hidden;
  }

  /**
   * Allocates the window's matrices when its shape changes. The carried state survives a change of the
   * number of steps, and is set to zero by a change of the number of streams.
   *
   * @param t steps
   * @param b streams
   */
  private void shape(int t, int b) {
    if (t == steps && b == batch) {
      return;
    }
    if (b != batch) {
      state = new State(ops.zeros(b, hidden), ops.zeros(b, hidden));
    }
    steps = t;
    batch = b;
    int rows = kind().gates() * hidden;
    pre = ops.zeros(t * b, rows);
    dPre = ops.zeros(t * b, rows);
    hs = ops.zeros((t + 1) * b, hidden);
    dOut = ops.zeros(t * b, hidden);
    dhCarry = ops.zeros(b, hidden);
    dh = ops.zeros(b, hidden);
    allocate(t, b);
  }

  /** @return the cell */
  protected abstract CellKind kind();

  /**
   * Allocates the cell's own window matrices.
   *
   * @param t steps
   * @param b streams
   */
  protected abstract void allocate(int t, int b);

  /**
   * Runs the window forward from the current state.
   *
   * @param in the input [T·B, X]
   * @param t steps
   * @param b streams
   */
  public void forward(Matrix in, int t, int b) {
    shape(t, b);
    ops.copy(initialH(), state.h());
    if (initialC() != null) {
      ops.copy(initialC(), state.c());
    }
    x = in;
    packed.forEach(Ops.Packed::repack);
    // Project the inputs of every step at once: pre = X·Wᵀ + Wb.
    ops.gemm(in, false, w.value(), true, pre, false);
    ops.addRow(pre, wb.value());
    for (int k = 0; k < t; k++) {
      forwardStep(reverse ? t - 1 - k : k);
    }
    ops.copy(state.h(), finalH());
    if (finalC() != null) {
      ops.copy(state.c(), finalC());
    }
  }

  /**
   * Backpropagates the window: adds to every parameter's gradient and to {@code dIn}.
   *
   * @param dIn the gradient with respect to the input [T·B, X], added to
   */
  public void backward(Matrix dIn) {
    packed.forEach(Ops.Packed::repack);
    ops.fill(dhCarry, 0);
    resetCarry();
    for (int k = steps - 1; k >= 0; k--) {
      int t = reverse ? steps - 1 - k : k;
      ops.add(dh, dOut.rows(t * batch, batch), dhCarry);
      backwardStep(t);
    }
    // Weight gradients of the whole window as matrix products.
    ops.gemm(dPre, true, x, false, w.grad(), true);
    ops.addColumnSums(wb.grad(), dPre);
    ops.gemm(dPre, false, w.value(), false, dIn, true);
    recurrentGradients();
  }

  /**
   * The forward equations at time t: reads {@link #pre} (projection + Wb) and {@link #hPrev}, writes
   * {@link #h}.
   *
   * @param t the time step
   */
  protected abstract void forwardStep(int t);

  /**
   * The backward equations at time t: reads {@link #dh}, writes {@link #dPre} at t and {@link #dhCarry}.
   *
   * @param t the time step
   */
  protected abstract void backwardStep(int t);

  /** Adds the gradients of R and Rb over the whole window. */
  protected abstract void recurrentGradients();

  /** Clears any state gradient carried besides h's (an LSTM's c). */
  protected void resetCarry() {}

  /**
   * @param m a window matrix with B rows per step
   * @param t the time step
   * @return its B rows of step t
   */
  protected Matrix at(Matrix m, int t) {
    return m.rows(t * batch, batch);
  }

  /**
   * @param t time
   * @return the state before step t (the previous step in this direction's order)
   */
  protected Matrix hPrev(int t) {
    return hs.rows((reverse ? t + 1 : t) * batch, batch);
  }

  /**
   * @param t time
   * @return h(t)
   */
  protected Matrix h(int t) {
    return hs.rows((reverse ? t : t + 1) * batch, batch);
  }

  /** @return the previous state of every step, time-major [T·B, H] */
  protected Matrix hPrevAll() {
    return hs.rows(reverse ? batch : 0, steps * batch);
  }

  /** @return h of every step, time-major [T·B, H] */
  public Matrix outputs() {
    return hs.rows(reverse ? 0 : batch, steps * batch);
  }

  /** @return the gradient buffer of this direction's outputs, [T·B, H], which the layer fills before backward */
  public Matrix outputGradients() {
    return dOut;
  }

  /** @return the initial h of the current window [B, H] */
  public Matrix initialH() {
    return hs.rows(reverse ? steps * batch : 0, batch);
  }

  /** @return the state after the last step of the current window [B, H] */
  public Matrix finalH() {
    return hs.rows(reverse ? 0 : steps * batch, batch);
  }

  /** @return the initial c of the window, or null for cells without one */
  public Matrix initialC() {
    return null;
  }

  /** @return the final c of the window, or null for cells without one */
  public Matrix finalC() {
    return null;
  }

  /** Sets the carried state to zero: the next window starts a new stream. */
  public void resetState() {
    if (state != null) {
      ops.fill(state.h(), 0);
      ops.fill(state.c(), 0);
    }
  }

  /** @return the state the next window starts from (h, and c for an LSTM), [B, H] each, or null before any window */
  public State state() {
    return state;
  }

  /**
   * The state carried from one window to the next.
   *
   * @param h hidden state [B, H]
   * @param c cell state [B, H] (zero and unused for cells without one)
   */
  public record State(Matrix h, Matrix c) {}

  /** @return the input weights [G·H, X] */
  public Param w() {
    return w;
  }

  /** @return the recurrent weights [G·H, H] */
  public Param r() {
    return r;
  }

  /** @return the input bias [1, G·H] */
  public Param wb() {
    return wb;
  }

  /** @return the recurrent bias [1, G·H] */
  public Param rb() {
    return rb;
  }

  /** @return the peepholes [1, 3H] (i, o, f), or null */
  public Param peepholes() {
    return null;
  }

  /**
   * @param m a matrix of G·H columns
   * @param gate the gate's index in ONNX order
   * @return the gate's H columns
   */
  protected Matrix gate(Matrix m, int gate) {
    return m.cols(gate * hidden, hidden);
  }

}

package dev.rill.trainer.nn;

import static dev.rill.trainer.tensor.Activation.SIGMOID;
import static dev.rill.trainer.tensor.Activation.TANH;

import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;

/**
 * The GRU of ONNX, gates z, r, h, in both forms:
 * <pre>
 *   z = σ(W_z x + R_z h₋ + b_z)        r = σ(W_r x + R_r h₋ + b_r)
 *   ĥ = tanh(W_h x + R_h (r⊙h₋) + Rb_h + Wb_h)      linear_before_reset = 0 (textbook, ONNX default)
 *   ĥ = tanh(W_h x + r⊙(R_h h₋ + Rb_h) + Wb_h)      linear_before_reset = 1 (PyTorch)
 *   h = (1 - z)⊙ĥ + z⊙h₋ = ĥ + z⊙(h₋ - ĥ)
 * </pre>
 * After the forward pass {@link #pre} holds z, r and ĥ.
 */
final class GruCell extends Cell {
  private static final int Z = 0;
  private static final int R = 1;
  private static final int H = 2;

  private final boolean linearBeforeReset;
  private Matrix q;      // linear before reset: h₋·Rᵀ + Rb [T·B, 3H]; its gradient replaces dPre in dR
  private Matrix dq;     //   the gradients of q [T·B, 3H]
  private Matrix rh;     // reset before the product: r⊙h₋ [T·B, H]
  private Matrix tmp;    // [B, H]
  private Matrix tmp2;   // [B, H]
  private final Ops.Packed zrForward;   // reset before the product: R_zrᵀ, R_zr, R_hᵀ and R_h prepared per window
  private final Ops.Packed zrBackward;
  private final Ops.Packed hForward;
  private final Ops.Packed hBackward;

  GruCell(Ops ops, String name, int input, int hidden, boolean reverse, boolean linearBeforeReset) {
    super(ops, linearBeforeReset ? CellKind.GRU_LINEAR_BEFORE_RESET : CellKind.GRU, name, input, hidden, reverse);
    this.linearBeforeReset = linearBeforeReset;
    if (!linearBeforeReset) {
      zrForward = pack(r.value().rows(0, 2 * hidden), true);
      zrBackward = pack(r.value().rows(0, 2 * hidden), false);
      hForward = pack(r.value().rows(2 * hidden, hidden), true);
      hBackward = pack(r.value().rows(2 * hidden, hidden), false);
    } else {
      zrForward = zrBackward = hForward = hBackward = null;
    }
  }

  @Override
  protected CellKind kind() {
    return linearBeforeReset ? CellKind.GRU_LINEAR_BEFORE_RESET : CellKind.GRU;
  }

  @Override
  protected void allocate(int t, int b) {
    if (linearBeforeReset) {
      q = ops.zeros(t * b, 3 * hidden);
      dq = ops.zeros(t * b, 3 * hidden);
    } else {
      rh = ops.zeros(t * b, hidden);
    }
    tmp = ops.zeros(b, hidden);
    tmp2 = ops.zeros(b, hidden);
  }

  private Matrix rows(Matrix m, int gate, int count) {
    return m.cols(gate * hidden, count * hidden);
  }

  @Override
  protected void forwardStep(int t) {
    Matrix a = at(pre, t);
    Matrix z = gate(a, Z), reset = gate(a, R), hHat = gate(a, H);
    Matrix hPrev = hPrev(t);
    if (linearBeforeReset) {
      Matrix qt = at(q, t);
      ops.gemm(hPrev, false, rForward, qt, false);          // q = h₋·Rᵀ
      ops.addRow(qt, rb.value());                                   //   + Rb
      ops.add(rows(a, Z, 2), rows(a, Z, 2), rows(qt, Z, 2));        // a_zr += q_zr
      ops.activate(SIGMOID, z, z);                                  // z = σ(a_z)
      ops.activate(SIGMOID, reset, reset);                          // r = σ(a_r)
      ops.addMul(hHat, reset, gate(qt, H));                         // a_h += r⊙q_h
    } else {
      Matrix rt = at(rh, t);
      ops.gemm(hPrev, false, zrForward, rows(a, Z, 2), true);
      ops.addRow(a, rb.value());                                    // a += h₋·R_zrᵀ + Rb
      ops.activate(SIGMOID, z, z);                                  // z = σ(a_z)
      ops.activate(SIGMOID, reset, reset);                          // r = σ(a_r)
      ops.mul(rt, reset, hPrev);                                    // r⊙h₋
      ops.gemm(rt, false, hForward, hHat, true);           // a_h += (r⊙h₋)·R_hᵀ
    }
    ops.activate(TANH, hHat, hHat);                                 // ĥ = tanh(a_h)
    Matrix h = h(t);
    ops.sub(h, hPrev, hHat);                                        // h = ĥ + z⊙(h₋ - ĥ)
    ops.mul(h, z, h);
    ops.add(h, hHat, h);
  }

  @Override
  protected void backwardStep(int t) {
    Matrix a = at(pre, t);
    Matrix z = gate(a, Z), reset = gate(a, R), hHat = gate(a, H);
    Matrix da = at(dPre, t);
    Matrix dz = gate(da, Z), dr = gate(da, R), dhHat = gate(da, H);
    Matrix hPrev = hPrev(t);
    ops.sub(tmp, hPrev, hHat);                                      // da_z = dh⊙(h₋ - ĥ)⊙z(1-z)
    ops.mul(tmp, dh, tmp);
    ops.activateBackward(SIGMOID, dz, tmp, z);
    ops.mul(dhCarry, dh, z);                                        // dh₋ = dh⊙z  (+ the products below)
    ops.sub(tmp, dh, dhCarry);                                      // da_h = dh⊙(1-z)⊙(1-ĥ²)
    ops.activateBackward(TANH, dhHat, tmp, hHat);
    if (linearBeforeReset) {
      Matrix qt = at(q, t), dqt = at(dq, t);
      ops.mul(tmp, dhHat, gate(qt, H));                             // da_r = da_h⊙q_h⊙r(1-r)
      ops.activateBackward(SIGMOID, dr, tmp, reset);
      ops.copy(rows(dqt, Z, 2), rows(da, Z, 2));                    // dq_zr = da_zr
      ops.mul(gate(dqt, H), dhHat, reset);                          // dq_h = da_h⊙r
      ops.gemm(dqt, false, rBackward, dhCarry, true);        // dh₋ += dq·R
    } else {
      ops.gemm(dhHat, false, hBackward, tmp2, false);      // d(r⊙h₋) = da_h·R_h
      ops.mul(tmp, tmp2, hPrev);                                    // da_r = d(r⊙h₋)⊙h₋⊙r(1-r)
      ops.activateBackward(SIGMOID, dr, tmp, reset);
      ops.addMul(dhCarry, tmp2, reset);                             // dh₋ += d(r⊙h₋)⊙r
      ops.gemm(rows(da, Z, 2), false, zrBackward, dhCarry, true); // dh₋ += da_zr·R_zr
    }
  }

  @Override
  protected void recurrentGradients() {
    if (linearBeforeReset) {
      ops.gemm(dq, true, hPrevAll(), false, r.grad(), true);       // dR += dqᵀ·h₋
      ops.addColumnSums(rb.grad(), dq);                             // dRb += Σ dq
    } else {
      ops.gemm(rows(dPre, Z, 2), true, hPrevAll(), false, r.grad().rows(0, 2 * hidden), true);  // dR_zr += da_zrᵀ·h₋
      ops.gemm(gate(dPre, H), true, rh, false, r.grad().rows(2 * hidden, hidden), true);        // dR_h += da_hᵀ·(r⊙h₋)
      ops.addColumnSums(rb.grad(), dPre);                           // dRb += Σ da
    }
  }
}

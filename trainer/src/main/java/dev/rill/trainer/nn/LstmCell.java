package dev.rill.trainer.nn;

import static dev.rill.trainer.tensor.Activation.SIGMOID;
import static dev.rill.trainer.tensor.Activation.TANH;

import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;
import java.util.List;

/**
 * The LSTM of ONNX, gates i, o, f, c, with optional peepholes p = (pᵢ, pₒ, p_f):
 * <pre>
 *   i = σ(Wᵢx + Rᵢh₋ + bᵢ + pᵢ⊙c₋)      f = σ(W_f x + R_f h₋ + b_f + p_f⊙c₋)      g = tanh(W_c x + R_c h₋ + b_c)
 *   c = f⊙c₋ + i⊙g                     o = σ(Wₒx + Rₒh₋ + bₒ + pₒ⊙c)              h = o⊙tanh(c)
 * </pre>
 * After the forward pass {@link #pre} holds the gate values i, o, f, g.
 */
final class LstmCell extends Cell {
  private static final int I = 0;
  private static final int O = 1;
  private static final int F = 2;
  private static final int C = 3;

  private final Param p;
  private Matrix cs;      // cell state chain [(T+1)·B, H], laid out like hs
  private Matrix tanhC;   // tanh(c) [T·B, H]
  private Matrix dc;      // total gradient with respect to c(t) [B, H]
  private Matrix dcCarry; // gradient with respect to c(t-1), carried backwards [B, H]
  private Matrix tmp;     // [B, H]

  LstmCell(Ops ops, String name, int input, int hidden, boolean reverse, boolean peepholes) {
    super(ops, CellKind.LSTM, name, input, hidden, reverse);
    this.p = peepholes ? Param.zeros(ops, name + ".P", 1, 3 * hidden) : null;
  }

  @Override
  protected CellKind kind() {
    return CellKind.LSTM;
  }

  @Override
  protected List<Param> extraParams() {
    return p == null ? List.of() : List.of(p);
  }

  @Override
  public Param peepholes() {
    return p;
  }

  @Override
  protected void allocate(int t, int b) {
    cs = ops.zeros((t + 1) * b, hidden);
    tanhC = ops.zeros(t * b, hidden);
    dc = ops.zeros(b, hidden);
    dcCarry = ops.zeros(b, hidden);
    tmp = ops.zeros(b, hidden);
  }

  private Matrix cPrev(int t) {
    return cs.rows((reverse ? t + 1 : t) * batch, batch);
  }

  private Matrix c(int t) {
    return cs.rows((reverse ? t : t + 1) * batch, batch);
  }

  private Matrix peep(int gate) {
    return p.value().cols(gate * hidden, hidden);
  }

  @Override
  protected void forwardStep(int t) {
    Matrix a = at(pre, t);
    Matrix i = gate(a, I), o = gate(a, O), f = gate(a, F), g = gate(a, C);
    Matrix cPrev = cPrev(t), c = c(t), tc = at(tanhC, t);
    ops.gemm(hPrev(t), false, rForward, a, true);      // a += h₋·Rᵀ
    ops.addRow(a, rb.value());                                  // a += Rb
    if (p != null) {
      ops.addMulRow(i, cPrev, peep(0));                         // aᵢ += pᵢ⊙c₋
      ops.addMulRow(f, cPrev, peep(2));                         // a_f += p_f⊙c₋
    }
    ops.activate(SIGMOID, i, i);                                // i = σ(aᵢ)
    ops.activate(SIGMOID, f, f);                                // f = σ(a_f)
    ops.activate(TANH, g, g);                                   // g = tanh(a_c)
    ops.mul(c, f, cPrev);                                       // c = f⊙c₋
    ops.addMul(c, i, g);                                        //   + i⊙g
    if (p != null) {
      ops.addMulRow(o, c, peep(1));                             // aₒ += pₒ⊙c
    }
    ops.activate(SIGMOID, o, o);                                // o = σ(aₒ)
    ops.activate(TANH, tc, c);                                  // tanh(c)
    ops.mul(h(t), o, tc);                                       // h = o⊙tanh(c)
  }

  @Override
  protected void resetCarry() {
    ops.fill(dcCarry, 0);
  }

  @Override
  protected void backwardStep(int t) {
    Matrix a = at(pre, t);
    Matrix i = gate(a, I), o = gate(a, O), f = gate(a, F), g = gate(a, C);
    Matrix da = at(dPre, t);
    Matrix di = gate(da, I), dO = gate(da, O), df = gate(da, F), dg = gate(da, C);
    Matrix cPrev = cPrev(t), tc = at(tanhC, t);
    ops.mul(tmp, dh, tc);                                       // daₒ = dh⊙tanh(c)
    ops.activateBackward(SIGMOID, dO, tmp, o);                  //     ⊙o(1-o)
    ops.mul(tmp, dh, o);                                        // dc = dc₊ + dh⊙o⊙(1 - tanh²c)
    ops.activateBackward(TANH, tmp, tmp, tc);
    ops.add(dc, dcCarry, tmp);
    if (p != null) {
      ops.addMulRow(dc, dO, peep(1));                           //    + pₒ⊙daₒ
    }
    ops.mul(tmp, dc, g);                                        // daᵢ = dc⊙g⊙i(1-i)
    ops.activateBackward(SIGMOID, di, tmp, i);
    ops.mul(tmp, dc, cPrev);                                    // da_f = dc⊙c₋⊙f(1-f)
    ops.activateBackward(SIGMOID, df, tmp, f);
    ops.mul(tmp, dc, i);                                        // da_c = dc⊙i⊙(1-g²)
    ops.activateBackward(TANH, dg, tmp, g);
    ops.mul(dcCarry, dc, f);                                    // dc₋ = dc⊙f
    if (p != null) {
      ops.addMulRow(dcCarry, di, peep(0));                      //     + pᵢ⊙daᵢ
      ops.addMulRow(dcCarry, df, peep(2));                      //     + p_f⊙da_f
      Matrix dp = p.grad();
      ops.addColumnSumsOfProduct(dp.cols(0, hidden), di, cPrev);            // dpᵢ += Σ daᵢ⊙c₋
      ops.addColumnSumsOfProduct(dp.cols(hidden, hidden), dO, c(t));        // dpₒ += Σ daₒ⊙c
      ops.addColumnSumsOfProduct(dp.cols(2 * hidden, hidden), df, cPrev);   // dp_f += Σ da_f⊙c₋
    }
    ops.gemm(da, false, rBackward, dhCarry, false);      // dh₋ = da·R
  }

  @Override
  protected void recurrentGradients() {
    ops.gemm(dPre, true, hPrevAll(), false, r.grad(), true);    // dR += daᵀ·h₋
    ops.addColumnSums(rb.grad(), dPre);                         // dRb += Σ da
  }

  @Override
  public Matrix initialC() {
    return cs == null ? null : cs.rows(reverse ? steps * batch : 0, batch);
  }

  @Override
  public Matrix finalC() {
    return cs == null ? null : cs.rows(reverse ? 0 : steps * batch, batch);
  }
}

/**
 * ONNX import: {@link dev.rill.converter.onnx.OnnxImporter} turns an ONNX model into a Rill model (the engine of
 * {@code rill convert model.onnx}), {@link dev.rill.converter.onnx.OnnxConformance} runs the ONNX backend node
 * tests ({@code rill onnx-test}), and {@code dev.rill.converter.onnx.export} writes ONNX ({@code rill export}).
 *
 * <p>What a whole-graph import accepts, besides the layers listed on {@code OnnxImporter}:
 * <ul>
 *   <li><b>One data output.</b> A Rill model has one output, the last layer's value at every step. Graph outputs
 *       that are final states, a recurrent node's {@code Y_h} or {@code Y_c} or what is computed from them alone
 *       (PyTorch's {@code h_n}/{@code c_n}: a Concat of the layers' Y_h on axis 0), are not taken for data: the
 *       metadata key {@code onnx.output.<name>} says which layer's state each one is, and a caller reads it from
 *       the run's {@code State}. Two outputs that both carry per-step or last-step data are refused.
 *   <li><b>Many-to-one.</b> When the only data output is computed from the final hidden state of the last
 *       layer ({@code Y_h}, or {@code h_n[-1]} as Gather(Concat(...), -1)), possibly through a Dense layer and an
 *       activation, it is imported as the per-step output: Rill's output at the last step of each sequence
 *       equals the ONNX output, which {@code onnx.output.<name>} and the model description say. This holds only
 *       for a forward last layer; the final state of a reverse or bidirectional layer is refused with the reason,
 *       since no step of a streaming run holds it.
 *   <li><b>Run-time inputs.</b> {@code sequence_lens}, {@code initial_h} and {@code initial_c} may come from
 *       graph inputs, directly or through Identity and Cast nodes (exporters often Cast int64 lengths to int32);
 *       they are not part of the model and are recorded as {@code onnx.layer.<k>.<input>}, and the caller passes
 *       them at run time ({@code SequenceBatch.withLengths}, {@code withInitialState}). Computed in any other way,
 *       or taken from another layer's final state, they are refused.
 *   <li><b>Batch-major input.</b> A Transpose (or other reshape) of a float [N, T, X] graph input before the
 *       first recurrent node, as in a {@code batch_first=True} PyTorch export, is followed;
 *       {@code onnx.input_layout} records the layout of the ONNX input (Rill's input is always [T, N, X]).
 * </ul>
 *
 * <p>Out of scope, refused with a message that says so: a mask of the output past {@code sequence_lens} computed
 * in the graph (as {@code rill export --sequence-lengths} writes after Dense layers); a Rill model zeroes its
 * output past the run-time lengths itself.
 */
package dev.rill.converter.onnx;

/**
 * The Rill model format: reading, validating and writing {@code .rill} files.
 *
 * <p>A {@code .rill} file is one serialized {@link dev.rill.format.proto.RillModel} (schema:
 * {@code format/src/main/proto/rill/model.proto}). {@link dev.rill.format.ModelReader} parses and fully
 * validates a file within {@link dev.rill.format.ReaderLimits}; {@link dev.rill.format.ModelWriter} validates
 * and writes atomically; {@link dev.rill.format.Tensors} encodes and decodes tensor data;
 * {@link dev.rill.format.GateLayout} is the one place that maps layers to gate counts and weight shapes;
 * {@link dev.rill.format.ModelBuilder} assembles models without boilerplate.
 */
package dev.rill.format;

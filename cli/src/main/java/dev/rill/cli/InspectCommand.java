package dev.rill.cli;

import dev.rill.format.GateLayout;
import dev.rill.format.ModelReader;
import dev.rill.format.Tensors;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.InputKind;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import dev.rill.runtime.LoadOptions;
import dev.rill.runtime.Model;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rill inspect}: validates a model file and prints its layers, sizes, parameters, dtypes, checksums and metadata. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = {"Validates a Rill model and prints its layers, sizes, parameter count, tensor dtypes and checksums, "
        + "and metadata.", "", "Example:", "  rill inspect examples/silero_vad_lstm.rill"})
final class InspectCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The .rill file.")
  Path modelFile;

  @Option(names = "--max-weight-bytes", paramLabel = "N", description = "Also load the model, refusing it if its "
      + "prepared weights need more than N bytes (LoadOptions.maxWeightBytes), as a service with that budget would.")
  Long maxWeightBytes;

  @Override
  public Integer call() throws Exception {
    RillModel model = new ModelReader().read(modelFile); // validates everything, checksums included
    if (maxWeightBytes != null) {
      // The budget depends on the layers, not on the file size: only a load computes it.
      Model.of(model, LoadOptions.builder().maxWeightBytes(maxWeightBytes).build()).close();
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("model       %s (%,d bytes)%n", modelFile, Files.size(modelFile));
    out.printf("format      %d.%d%n", model.getVersion().getMajor(), model.getVersion().getMinor());
    if (model.getIo().getInputKind() == InputKind.TOKEN) {
      out.printf("input       token ids in [0, %d) '%s'%s%n", model.getIo().getInputSize(), model.getIo().getInputName(),
          model.hasVocabulary() ? ", vocabulary of " + model.getVocabulary().getTokensCount() + " tokens" : ", no vocabulary strings");
    } else {
      out.printf("input       %d floats per step '%s'%n", model.getIo().getInputSize(), model.getIo().getInputName());
    }
    out.printf("output      %d floats per step '%s'%n", model.getIo().getOutputSize(), model.getIo().getOutputName());
    if (!model.getIo().getDescription().isEmpty()) {
      out.printf("description %s%n", model.getIo().getDescription());
    }
    out.printf("parameters  %,d%n", ModelSummary.parameterCount(model));
    out.printf("dtypes      %s%n", String.join(", ", ModelSummary.dtypes(model)));
    if (maxWeightBytes != null) {
      out.printf("load budget %,d bytes: the model loads within it%n", maxWeightBytes);
    }
    out.printf("streamable  %s%n", streamable(model) ? "yes" : "no (has a bidirectional or reverse layer: sequence API only)");

    out.println();
    out.println("layers");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"#", "name", "kind", "direction", "in", "out", "params", "details"});
    long width = 0;
    for (int i = 0; i < model.getLayersCount(); i++) {
      Layer l = model.getLayers(i);
      long in = l.hasInput() ? l.getInput().getSize() : l.hasEmbedding() ? l.getEmbedding().getVocabSize() : width;
      width = GateLayout.outputSize(l);
      rows.add(new String[] {String.valueOf(i), l.getName(), GateLayout.kindName(l), direction(l), String.valueOf(in),
          String.valueOf(width), String.format("%,d", ModelSummary.parameterCount(model, l)), details(l)});
    }
    table(out, rows);

    out.println();
    out.println("tensors");
    rows = new ArrayList<>();
    rows.add(new String[] {"name", "dtype", "shape", "bytes", "crc32c"});
    for (Tensor t : model.getTensorsList()) {
      rows.add(new String[] {t.getName(), ModelSummary.dtypeName(t.getDtype()), Tensors.shapeString(t.getShapeList()),
          String.format("%,d", t.getData().size() + t.getRowScales().size()),
          String.format("%08x ok", Tensors.crc32c(t))});
    }
    table(out, rows);

    out.println();
    out.println("metadata");
    Map<String, String> meta = new TreeMap<>(model.getMetadataMap());
    if (meta.isEmpty()) {
      out.println("  (none)");
    }
    meta.forEach((k, v) -> out.printf("  %s = %s%n", k, v));
    out.flush();
    return 0;
  }

  private static boolean streamable(RillModel model) {
    return model.getLayersList().stream()
        .noneMatch(l -> GateLayout.isRecurrent(l) && GateLayout.recurrent(l).getDirection() != Direction.FORWARD);
  }

  private static String direction(Layer l) {
    return GateLayout.isRecurrent(l) ? GateLayout.recurrent(l).getDirection().name().toLowerCase(Locale.ROOT) : "-";
  }

  private static String details(Layer l) {
    List<String> d = new ArrayList<>();
    if (GateLayout.isRecurrent(l)) {
      Recurrent r = GateLayout.recurrent(l);
      d.add("hidden " + r.getHiddenSize());
      if (r.hasClip()) {
        d.add("clip " + r.getClip());
      }
      if (r.getActivations().getFunctionsCount() > 0) {
        List<String> acts = new ArrayList<>();
        for (Activation a : r.getActivations().getFunctionsList()) {
          acts.add(a.getKind().name().toLowerCase(Locale.ROOT));
        }
        d.add("activations " + String.join(",", acts));
      }
      if (r.getB().isEmpty()) {
        d.add("no bias");
      }
    }
    if (l.hasLstm()) {
      if (!l.getLstm().getP().isEmpty()) {
        d.add("peepholes");
      }
      if (l.getLstm().getInputForget()) {
        d.add("input_forget");
      }
    }
    if (l.hasGru()) {
      d.add("linear_before_reset " + (l.getGru().getLinearBeforeReset() ? 1 : 0));
    }
    if (l.hasDense()) {
      d.add("activation " + l.getDense().getActivation().name().toLowerCase(Locale.ROOT).replace("output_", ""));
      if (l.getDense().getBias().isEmpty()) {
        d.add("no bias");
      }
    }
    return String.join(", ", d);
  }

  /** Prints rows as left-aligned columns, indented by two spaces. */
  private static void table(PrintWriter out, List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder(" ");
      for (int c = 0; c < row.length; c++) {
        line.append(' ').append(row[c]).append(c == row.length - 1 ? "" : " ".repeat(widths[c] - row[c].length() + 1));
      }
      out.println(line.toString().stripTrailing());
    }
  }
}

package dev.aigateway.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The inputs of the cross-encoder's training and the checks of its exported file
 * (docs/semantic-eval.md, "This round: a cross-encoder trained on the tuning sets"). The pairs are
 * tokenised here, in Java, with the same tokenizer and options the cross-encoder uses at run time
 * ({@link #TOKENIZER_OPTIONS}: DJL's {@code HuggingFaceTokenizer} over all-MiniLM-L6-v2's {@code
 * tokenizer.json}, pair encoding {@code encode(cached, incoming)}, special tokens added, longest
 * first truncation at {@value #MAX_LENGTH} pieces, no padding), so the training script never
 * tokenises a text itself.
 *
 * <pre>
 * mvn -B -ntp -o -q install -DskipTests -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.CrossEncoderPairs \
 *     pairs /tmp/xe/pairs.tsv [SET ...]
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.CrossEncoderPairs \
 *     embeddings /tmp/xe/embeddings.tsv
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.CrossEncoderPairs \
 *     score MODEL.onnx /tmp/xe/pairs.tsv /tmp/xe/scores.tsv [SET ...]
 * </pre>
 *
 * <ul>
 *   <li>{@code pairs} writes one line per labelled pair of the named sets ({@link #SETS} by
 *       default): set, label, category, the MiniLM cosine of the two prompts (from {@link
 *       MiniLmEmbeddingModel}, so an evaluation applies the cache's similarity floor as the cache
 *       does), the word-piece ids and the token type ids (space-separated). The attention mask is
 *       all ones (no padding) and is checked to be.
 *   <li>{@code embeddings} writes, for {@link #CHECK_TEXTS}, the single-text ids and {@link
 *       MiniLmEmbeddingModel}'s embedding: the training script checks that its own BERT, loaded
 *       from the ONNX file's weights, gives the same vectors.
 *   <li>{@code score} runs an exported cross-encoder in ONNX Runtime (one pair a run, as the cache
 *       does) over the pairs file and writes each pair's logit, then prints the time per pair
 *       (median and 99th percentile, wall clock, one thread).
 *   <li>{@code time PAIRS COUNT MODEL.onnx ...} times several exported models side by side: the
 *       first COUNT pairs of the file, each run by every model in turn (the order rotating from
 *       pair to pair), so the load of a shared machine weighs on each alike; it prints each model's
 *       median and 99th percentile per pair (wall clock, and CPU time of the calling thread, which
 *       runs the model: one intra-op thread) and its CPU median relative to the first model's.
 * </ul>
 */
public final class CrossEncoderPairs {

  /** Every labelled set the cross-encoder may train on, in the order they were written. */
  static final List<String> SETS =
      Stream.concat(VerifierEvaluation.SETS.stream(), Stream.of("judged-8")).toList();

  /** The most word pieces of a pair, both markers and the separator included. */
  static final int MAX_LENGTH = 256;

  /** The tokenizer's options: the cross-encoder's run-time tokenisation. */
  static final Map<String, String> TOKENIZER_OPTIONS =
      Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(MAX_LENGTH));

  /** The texts the training script's BERT is checked on against {@link MiniLmEmbeddingModel}. */
  static final List<String> CHECK_TEXTS =
      List.of(
          "How do I reset my password?",
          "What's the way to reset my password?",
          "Does smoking cause cancer?",
          "Does cancer cause smoking?",
          "Move 200 dollars from savings to checking.",
          "translate 'good morning' from English to German",
          "paris weather tmrw",
          "Are none of the tests flaky?",
          "Which whitening toothpastes do not contain fluoride?",
          "Set an alarm for 6:30 am tomorrow.",
          "can i pause my gym membership while im abroad",
          "Summarize this email thread.",
          "What is the maximum depth for a recreational open water diver in meters?",
          "Écris un poème sur la mer, s'il te plaît.",
          "k8s pod stuck in CrashLoopBackOff — how to debug?",
          "Is it normal for a 6-year-old to lose a front baby tooth?",
          "Give me three ideas for a birthday party for toddlers",
          "How much fuel does a Cessna 172 burn in one hour at 65 percent power?",
          "a",
          "The quick brown fox jumps over the lazy dog while the cat sleeps on the warm windowsill"
              + " and the rain keeps falling on the old tin roof of the barn.");

  private CrossEncoderPairs() {}

  /**
   * Runs one of the three commands (see the class comment).
   *
   * @param args the command and its arguments
   * @throws Exception when a set, the model or a file cannot be read or written
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: pairs OUT [SET ...] | embeddings OUT | score ...");
    }
    switch (args[0]) {
      case "pairs" -> pairs(Path.of(args[1]), sets(args, 2));
      case "embeddings" -> embeddings(Path.of(args[1]));
      case "score" -> {
        if (args.length < 4) {
          throw new IllegalArgumentException("usage: score MODEL.onnx PAIRS OUT [SET ...]");
        }
        score(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), sets(args, 4));
      }
      case "time" -> {
        if (args.length < 4) {
          throw new IllegalArgumentException("usage: time PAIRS COUNT MODEL.onnx [MODEL.onnx ...]");
        }
        List<Path> models = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
          models.add(Path.of(args[i]));
        }
        time(Path.of(args[1]), Integer.parseInt(args[2]), models);
      }
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  private static List<String> sets(String[] args, int from) {
    return args.length > from ? List.of(args).subList(from, args.length) : SETS;
  }

  /** The tokenizer inside the LangChain4j jar, with {@link #TOKENIZER_OPTIONS}. */
  static HuggingFaceTokenizer tokenizer() throws IOException {
    try (InputStream in =
        CrossEncoderPairs.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
      if (in == null) {
        throw new IOException("all-minilm-l6-v2-tokenizer.json is not on the class path");
      }
      return HuggingFaceTokenizer.newInstance(in, TOKENIZER_OPTIONS);
    }
  }

  /** One pair's line of the pairs file (without the line break). */
  static String line(String set, String[] row, double cosine, Encoding encoding) {
    long[] mask = encoding.getAttentionMask();
    for (long m : mask) {
      if (m != 1) {
        throw new IllegalStateException("a padded encoding: " + Arrays.toString(mask));
      }
    }
    return String.join(
        "\t",
        set,
        row[0],
        row[1],
        String.format(Locale.ROOT, "%.6f", cosine),
        join(encoding.getIds()),
        join(encoding.getTypeIds()));
  }

  private static void pairs(Path out, List<String> sets) throws IOException {
    MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create();
    Map<String, float[]> vectors = new HashMap<>();
    int longest = 0;
    int count = 0;
    try (HuggingFaceTokenizer tokenizer = tokenizer();
        BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      writer.write("set\tlabel\tcategory\tcosine\tids\ttype_ids\n");
      for (String set : sets) {
        for (String[] row : SemanticGuardEvaluation.read(set)) {
          float[] cached = SemanticCacheEvaluation.embed(model, row[2], vectors);
          float[] incoming = SemanticCacheEvaluation.embed(model, row[3], vectors);
          Encoding encoding = tokenizer.encode(row[2], row[3]);
          longest = Math.max(longest, encoding.getIds().length);
          writer.write(line(set, row, cosine(cached, incoming), encoding));
          writer.write('\n');
          count++;
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%d pairs of %s written to %s; the longest has %d pieces%n",
        count,
        String.join(", ", sets),
        out,
        longest);
  }

  /** The cosine of two vectors, in double precision. */
  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }

  private static void embeddings(Path out) throws IOException {
    MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create();
    try (HuggingFaceTokenizer tokenizer = tokenizer();
        BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      writer.write("ids\tembedding\n");
      for (String text : CHECK_TEXTS) {
        float[] v = model.embed(text);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
          sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.7g", v[i]));
        }
        writer.write(join(tokenizer.encode(text).getIds()) + "\t" + sb + "\n");
      }
    }
    System.out.printf(Locale.ROOT, "%d embeddings written to %s%n", CHECK_TEXTS.size(), out);
  }

  private static void score(Path modelFile, Path pairsFile, Path out, List<String> sets)
      throws IOException, OrtException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(pairsFile, StandardCharsets.UTF_8)) {
      reader.readLine();
      String l;
      while ((l = reader.readLine()) != null) {
        String[] row = l.split("\t", -1);
        if (sets.contains(row[0])) {
          rows.add(row);
        }
      }
    }
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(1);
    long loadStart = System.nanoTime();
    long[] nanos = new long[rows.size()];
    try (OrtSession session = environment.createSession(modelFile.toString(), options);
        BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      double loadMillis = (System.nanoTime() - loadStart) / 1e6;
      writer.write("set\tlabel\tcategory\tcosine\tlogit\n");
      for (int warm = 0; warm < Math.min(20, rows.size()); warm++) {
        logit(environment, session, rows.get(warm));
      }
      for (int i = 0; i < rows.size(); i++) {
        String[] row = rows.get(i);
        long t0 = System.nanoTime();
        float logit = logit(environment, session, row);
        nanos[i] = System.nanoTime() - t0;
        writer.write(
            String.join("\t", row[0], row[1], row[2], row[3], Float.toString(logit)) + "\n");
      }
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      System.out.printf(
          Locale.ROOT,
          "%s: loaded in %.0f ms; %d pairs scored, %.2f ms median, %.2f ms p99 per pair"
              + " (wall clock, one thread)%n",
          modelFile.getFileName(),
          loadMillis,
          rows.size(),
          sorted.length == 0 ? 0 : sorted[sorted.length / 2] / 1e6,
          sorted.length == 0 ? 0 : sorted[(int) (sorted.length * 0.99)] / 1e6);
    }
  }

  private static void time(Path pairsFile, int count, List<Path> models)
      throws IOException, OrtException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(pairsFile, StandardCharsets.UTF_8)) {
      reader.readLine();
      String l;
      while ((l = reader.readLine()) != null && rows.size() < count) {
        rows.add(l.split("\t", -1));
      }
    }
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(1);
    List<OrtSession> sessions = new ArrayList<>();
    try {
      for (Path model : models) {
        sessions.add(environment.createSession(model.toString(), options));
      }
      for (int warm = 0; warm < Math.min(20, rows.size()); warm++) {
        for (OrtSession session : sessions) {
          logit(environment, session, rows.get(warm));
        }
      }
      long[][] nanos = new long[sessions.size()][rows.size()];
      long[][] cpu = new long[sessions.size()][rows.size()];
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      for (int i = 0; i < rows.size(); i++) {
        for (int k = 0; k < sessions.size(); k++) {
          int m = (i + k) % sessions.size();
          long c0 = threads.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          logit(environment, sessions.get(m), rows.get(i));
          nanos[m][i] = System.nanoTime() - t0;
          cpu[m][i] = threads.getCurrentThreadCpuTime() - c0;
        }
      }
      double first = 0;
      for (int m = 0; m < sessions.size(); m++) {
        long[] sorted = nanos[m].clone();
        Arrays.sort(sorted);
        long[] cpuSorted = cpu[m].clone();
        Arrays.sort(cpuSorted);
        double median = sorted[sorted.length / 2] / 1e6;
        double cpuMedian = cpuSorted[cpuSorted.length / 2] / 1e6;
        first = m == 0 ? cpuMedian : first;
        System.out.printf(
            Locale.ROOT,
            "%s over %d pairs: wall clock %.2f ms median, %.2f ms p99; CPU time of the calling"
                + " thread %.2f ms median, %.2f ms p99; CPU median %.2f x the first model's%n",
            models.get(m).getFileName(),
            sorted.length,
            median,
            sorted[(int) (sorted.length * 0.99)] / 1e6,
            cpuMedian,
            cpuSorted[(int) (cpuSorted.length * 0.99)] / 1e6,
            cpuMedian / first);
      }
    } finally {
      for (OrtSession session : sessions) {
        session.close();
      }
    }
  }

  private static float logit(OrtEnvironment environment, OrtSession session, String[] row)
      throws OrtException {
    long[] ids = parse(row[4]);
    long[] types = parse(row[5]);
    long[] mask = new long[ids.length];
    Arrays.fill(mask, 1);
    long[] shape = {1, ids.length};
    try (OnnxTensor i = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape);
        OnnxTensor m = OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape);
        OnnxTensor t = OnnxTensor.createTensor(environment, LongBuffer.wrap(types), shape);
        OrtSession.Result result =
            session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", t))) {
      Object value = result.get(0).getValue();
      return value instanceof float[][] matrix ? matrix[0][0] : ((float[]) value)[0];
    }
  }

  private static long[] parse(String field) {
    return Arrays.stream(field.split(" ")).mapToLong(Long::parseLong).toArray();
  }

  private static String join(long[] values) {
    return Arrays.stream(values).mapToObj(Long::toString).collect(Collectors.joining(" "));
  }
}

package dev.aigateway.core.cache;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The weights of {@link LearnedVerifier}: a logistic regression over {@link
 * LearnedVerifier#featureNames() the verifier's features}, each feature standardised by the mean
 * and spread of the pairs it was trained on ({@link #train}), or gradient-boosted trees over the
 * raw features ({@link #trainTrees}), and the decision threshold on its probability. A pair whose
 * probability of being a paraphrase is below the threshold is refused.
 *
 * <p>{@link #shipped()} is the model trained on the labelled sets of docs/semantic-eval.md with the
 * command given there; {@link #train} fits one on other labelled pairs (deterministic: the same
 * pairs give the same weights). The text form ({@link #format()}, {@link #parse}) has one line per
 * feature ({@code name mean scale weight}, tab-separated), a line per tree ({@code tree}, its
 * splits as {@code feature:value} in breadth-first order, its leaves' values) and lines {@code
 * bias} and {@code threshold}. Immutable.
 */
public final class VerifierModel {

  /** The class-path resource of the shipped model. */
  static final String RESOURCE = "learned-verifier.tsv";

  private final List<String> names;
  private final double[] mean;
  private final double[] scale;
  private final double[] weights;
  private final double bias;
  private final double threshold;
  private final List<Tree> trees;

  /**
   * A regression tree of fixed depth: internal node {@code k} (0 the root, children {@code 2k+1}
   * and {@code 2k+2}) sends a row left when its feature {@code feature[k]} is at most {@code
   * split[k]}; the leaves' values (log-odds, learning rate included) in order.
   */
  private record Tree(int[] feature, double[] split, double[] leaf) {
    double value(double[] row) {
      int k = 0;
      while (k < feature.length) {
        k = row[feature[k]] <= split[k] ? 2 * k + 1 : 2 * k + 2;
      }
      return leaf[k - feature.length];
    }
  }

  private VerifierModel(
      List<String> names,
      double[] mean,
      double[] scale,
      double[] weights,
      double bias,
      double threshold,
      List<Tree> trees) {
    this.names = List.copyOf(names);
    this.mean = mean.clone();
    this.scale = scale.clone();
    this.weights = weights.clone();
    this.bias = bias;
    this.threshold = threshold;
    this.trees = List.copyOf(trees);
  }

  /** The model shipped in this jar (resource {@value #RESOURCE}). */
  public static VerifierModel shipped() {
    return Shipped.MODEL;
  }

  private static final class Shipped {
    static final VerifierModel MODEL = read();

    private static VerifierModel read() {
      InputStream in = VerifierModel.class.getResourceAsStream(RESOURCE);
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        StringBuilder text = new StringBuilder();
        String line;
        while ((line = reader.readLine()) != null) {
          text.append(line).append('\n');
        }
        return parse(text.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Fits a logistic regression by Newton's method on standardised features.
   *
   * @param features one row per pair, in the order of {@link LearnedVerifier#featureNames()}
   * @param paraphrase whether each pair is a paraphrase (label 1) or a near miss (label 0)
   * @param l2 the ridge penalty on the weights (not on the bias), at least 0
   * @param nearMissWeight how much a near miss counts against a paraphrase (1 = equally)
   * @param threshold the decision threshold stored with the model, in [0, 1]
   * @param kept which features are used; the others get weight 0 (null: all)
   */
  public static VerifierModel train(
      List<double[]> features,
      boolean[] paraphrase,
      double l2,
      double nearMissWeight,
      double threshold,
      boolean[] kept) {
    int n = features.size();
    if (n == 0 || n != paraphrase.length) {
      throw new IllegalArgumentException("need one label per row, and some rows");
    }
    List<String> names = LearnedVerifier.featureNames();
    int d = names.size();
    double[] mean = new double[d];
    double[] scale = new double[d];
    for (double[] row : features) {
      if (row.length != d) {
        throw new IllegalArgumentException("a row has " + row.length + " features, not " + d);
      }
      for (int j = 0; j < d; j++) {
        mean[j] += row[j] / n;
      }
    }
    for (double[] row : features) {
      for (int j = 0; j < d; j++) {
        scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
      }
    }
    List<Integer> used = new ArrayList<>();
    for (int j = 0; j < d; j++) {
      scale[j] = Math.sqrt(scale[j]);
      if (scale[j] < 1e-9) {
        scale[j] = 1;
      } else if (kept == null || kept[j]) {
        used.add(j);
      }
    }
    int k = used.size() + 1; // the bias last
    double[][] x = new double[n][k];
    for (int i = 0; i < n; i++) {
      for (int u = 0; u < used.size(); u++) {
        int j = used.get(u);
        x[i][u] = (features.get(i)[j] - mean[j]) / scale[j];
      }
      x[i][k - 1] = 1;
    }
    double[] w = new double[k];
    for (int iteration = 0; iteration < 50; iteration++) {
      double[] gradient = new double[k];
      double[][] hessian = new double[k][k];
      for (int i = 0; i < n; i++) {
        double p = sigmoid(dot(x[i], w));
        double c = paraphrase[i] ? 1 : nearMissWeight;
        double r = c * (p - (paraphrase[i] ? 1 : 0));
        double s = c * Math.max(p * (1 - p), 1e-12);
        for (int a = 0; a < k; a++) {
          gradient[a] += r * x[i][a];
          for (int b = 0; b <= a; b++) {
            hessian[a][b] += s * x[i][a] * x[i][b];
          }
        }
      }
      for (int a = 0; a < k; a++) {
        for (int b = 0; b < a; b++) {
          hessian[b][a] = hessian[a][b];
        }
        if (a < k - 1) {
          gradient[a] += l2 * w[a];
          hessian[a][a] += l2;
        }
      }
      hessian[k - 1][k - 1] += 1e-9;
      double[] step = solve(hessian, gradient);
      double change = 0;
      for (int a = 0; a < k; a++) {
        w[a] -= step[a];
        change = Math.max(change, Math.abs(step[a]));
      }
      if (change < 1e-8) {
        break;
      }
    }
    double[] weights = new double[d];
    for (int u = 0; u < used.size(); u++) {
      weights[used.get(u)] = w[u];
    }
    return new VerifierModel(names, mean, scale, weights, w[k - 1], threshold, List.of());
  }

  /** The same weights with another decision threshold. */
  public VerifierModel withThreshold(double threshold) {
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be in [0, 1]: " + threshold);
    }
    return new VerifierModel(names, mean, scale, weights, bias, threshold, trees);
  }

  /** The probability that a pair with these features is a paraphrase. */
  public double probability(double[] features) {
    if (features.length != weights.length) {
      throw new IllegalArgumentException(
          "expected " + weights.length + " features, got " + features.length);
    }
    double z = bias;
    for (int j = 0; j < weights.length; j++) {
      if (weights[j] != 0) {
        z += weights[j] * (features[j] - mean[j]) / scale[j];
      }
    }
    for (Tree tree : trees) {
      z += tree.value(features);
    }
    return sigmoid(z);
  }

  /** The probability below which a pair is refused. */
  public double threshold() {
    return threshold;
  }

  /** The feature names this model was trained for. */
  public List<String> names() {
    return names;
  }

  /** The weight of each feature on its standardised scale (0 when the feature is not used). */
  public double[] weights() {
    return weights.clone();
  }

  /**
   * Whether the model reads feature {@code j}: a non-zero weight, or any tree (trees may split on
   * any feature).
   */
  boolean uses(int j) {
    return weights[j] != 0 || !trees.isEmpty();
  }

  /** The model as text, read back by {@link #parse}. */
  public String format() {
    StringBuilder out = new StringBuilder();
    for (int j = 0; j < names.size(); j++) {
      out.append(
          String.format(
              Locale.ROOT,
              "%s\t%.17g\t%.17g\t%.17g%n",
              names.get(j),
              mean[j],
              scale[j],
              weights[j]));
    }
    for (Tree tree : trees) {
      StringBuilder splits = new StringBuilder();
      for (int k = 0; k < tree.feature().length; k++) {
        splits.append(k == 0 ? "" : ",").append(tree.feature()[k]).append(':');
        splits.append(String.format(Locale.ROOT, "%.17g", tree.split()[k]));
      }
      StringBuilder leaves = new StringBuilder();
      for (int k = 0; k < tree.leaf().length; k++) {
        leaves
            .append(k == 0 ? "" : ",")
            .append(String.format(Locale.ROOT, "%.17g", tree.leaf()[k]));
      }
      out.append("tree\t").append(splits).append('\t').append(leaves).append('\n');
    }
    out.append(String.format(Locale.ROOT, "bias\t%.17g%n", bias));
    out.append(String.format(Locale.ROOT, "threshold\t%.17g%n", threshold));
    return out.toString();
  }

  /**
   * Reads a model written by {@link #format()}; its features must be this version's, by name and
   * order.
   *
   * @throws IllegalArgumentException when the text is malformed or names other features
   */
  public static VerifierModel parse(String text) {
    Objects.requireNonNull(text, "text");
    List<String> names = new ArrayList<>();
    List<double[]> rows = new ArrayList<>();
    Double bias = null;
    Double threshold = null;
    List<Tree> trees = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] cells = line.trim().split("\t");
      try {
        if (cells[0].equals("bias") && cells.length == 2) {
          bias = Double.parseDouble(cells[1]);
        } else if (cells[0].equals("threshold") && cells.length == 2) {
          threshold = Double.parseDouble(cells[1]);
        } else if (cells[0].equals("tree") && cells.length == 3) {
          trees.add(tree(cells[1], cells[2]));
        } else if (cells.length == 4) {
          names.add(cells[0]);
          rows.add(
              new double[] {
                Double.parseDouble(cells[1]),
                Double.parseDouble(cells[2]),
                Double.parseDouble(cells[3])
              });
        } else {
          throw new IllegalArgumentException("malformed line: " + line);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("malformed line: " + line, e);
      }
    }
    if (!names.equals(LearnedVerifier.featureNames())) {
      throw new IllegalArgumentException(
          "the model's features " + names + " are not " + LearnedVerifier.featureNames());
    }
    if (bias == null || threshold == null) {
      throw new IllegalArgumentException("the model has no bias or no threshold");
    }
    int d = names.size();
    double[] mean = new double[d];
    double[] scale = new double[d];
    double[] weights = new double[d];
    for (int j = 0; j < d; j++) {
      mean[j] = rows.get(j)[0];
      scale[j] = rows.get(j)[1];
      weights[j] = rows.get(j)[2];
      if (!(scale[j] > 0)) {
        throw new IllegalArgumentException("scale of " + names.get(j) + " must be positive");
      }
    }
    for (Tree tree : trees) {
      for (int f : tree.feature()) {
        if (f < 0 || f >= d) {
          throw new IllegalArgumentException("a tree splits on no feature: " + f);
        }
      }
    }
    return new VerifierModel(names, mean, scale, weights, bias, threshold, trees)
        .withThreshold(threshold);
  }

  private static Tree tree(String splits, String leaves) {
    String[] nodes = splits.split(",");
    String[] values = leaves.split(",");
    if (values.length != nodes.length + 1) {
      throw new IllegalArgumentException(
          "a tree of " + nodes.length + " splits needs one more leaf");
    }
    int[] feature = new int[nodes.length];
    double[] split = new double[nodes.length];
    for (int k = 0; k < nodes.length; k++) {
      String[] node = nodes[k].split(":");
      feature[k] = Integer.parseInt(node[0]);
      split[k] = Double.parseDouble(node[1]);
    }
    double[] leaf = new double[values.length];
    for (int k = 0; k < values.length; k++) {
      leaf[k] = Double.parseDouble(values[k]);
    }
    return new Tree(feature, split, leaf);
  }

  /**
   * Fits gradient-boosted regression trees of depth {@code depth} on the logistic loss (Newton
   * steps for the leaves, shrunk by {@code rate}), starting from the labels' log-odds.
   * Deterministic: every split is the best by gain, ties to the lower feature and value.
   *
   * @param features one row per pair, in the order of {@link LearnedVerifier#featureNames()}
   * @param paraphrase the labels
   * @param rounds how many trees
   * @param depth each tree's depth (1 to 6)
   * @param minLeaf the fewest rows in a leaf
   * @param rate the shrinkage of each tree's values
   * @param nearMissWeight how much a near miss counts against a paraphrase
   * @param threshold the decision threshold stored with the model
   * @param kept which features may be split on (null: all)
   */
  public static VerifierModel trainTrees(
      List<double[]> features,
      boolean[] paraphrase,
      int rounds,
      int depth,
      int minLeaf,
      double rate,
      double nearMissWeight,
      double threshold,
      boolean[] kept) {
    int n = features.size();
    List<String> names = LearnedVerifier.featureNames();
    int d = names.size();
    if (n == 0 || n != paraphrase.length || depth < 1 || depth > 6) {
      throw new IllegalArgumentException("need rows, one label per row and a depth in [1, 6]");
    }
    double positive = 0;
    double total = 0;
    for (int i = 0; i < n; i++) {
      double c = paraphrase[i] ? 1 : nearMissWeight;
      positive += paraphrase[i] ? c : 0;
      total += c;
    }
    double prior = Math.log(Math.max(positive, 1e-9) / Math.max(total - positive, 1e-9));
    int[][] sorted = new int[d][];
    for (int j = 0; j < d; j++) {
      final int f = j;
      sorted[j] =
          java.util.stream.IntStream.range(0, n)
              .boxed()
              .sorted((x, y) -> Double.compare(features.get(x)[f], features.get(y)[f]))
              .mapToInt(Integer::intValue)
              .toArray();
    }
    double[] margin = new double[n];
    Arrays.fill(margin, prior);
    List<Tree> trees = new ArrayList<>();
    int internal = (1 << depth) - 1;
    for (int round = 0; round < rounds; round++) {
      double[] g = new double[n];
      double[] h = new double[n];
      for (int i = 0; i < n; i++) {
        double p = sigmoid(margin[i]);
        double c = paraphrase[i] ? 1 : nearMissWeight;
        g[i] = c * (p - (paraphrase[i] ? 1 : 0));
        h[i] = c * Math.max(p * (1 - p), 1e-12);
      }
      int[] node = new int[n]; // the node each row is at, numbered as in Tree
      int[] feature = new int[internal];
      double[] split = new double[internal];
      Arrays.fill(split, Double.POSITIVE_INFINITY); // no split: every row goes left
      for (int level = 0; level < depth; level++) {
        int first = (1 << level) - 1;
        int width = 1 << level;
        double[] gSum = new double[width];
        double[] hSum = new double[width];
        int[] count = new int[width];
        for (int i = 0; i < n; i++) {
          gSum[node[i] - first] += g[i];
          hSum[node[i] - first] += h[i];
          count[node[i] - first]++;
        }
        double[] bestGain = new double[width];
        for (int j = 0; j < d; j++) {
          if (kept != null && !kept[j]) {
            continue;
          }
          double[] gLeft = new double[width];
          double[] hLeft = new double[width];
          int[] cLeft = new int[width];
          double[] last = new double[width];
          Arrays.fill(last, Double.NaN);
          for (int i : sorted[j]) {
            int k = node[i] - first;
            double v = features.get(i)[j];
            if (cLeft[k] >= minLeaf && count[k] - cLeft[k] >= minLeaf && v > last[k]) {
              double gl = gLeft[k];
              double hl = hLeft[k];
              double gr = gSum[k] - gl;
              double hr = hSum[k] - hl;
              double gain =
                  gl * gl / (hl + 1) + gr * gr / (hr + 1) - gSum[k] * gSum[k] / (hSum[k] + 1);
              if (gain > bestGain[k] + 1e-12) {
                bestGain[k] = gain;
                feature[first + k] = j;
                split[first + k] = (last[k] + v) / 2;
              }
            }
            gLeft[k] += g[i];
            hLeft[k] += h[i];
            cLeft[k]++;
            last[k] = v;
          }
        }
        for (int i = 0; i < n; i++) {
          int k = node[i];
          node[i] = features.get(i)[feature[k]] <= split[k] ? 2 * k + 1 : 2 * k + 2;
        }
      }
      double[] gLeaf = new double[internal + 1];
      double[] hLeaf = new double[internal + 1];
      for (int i = 0; i < n; i++) {
        gLeaf[node[i] - internal] += g[i];
        hLeaf[node[i] - internal] += h[i];
      }
      double[] leaf = new double[internal + 1];
      for (int k = 0; k < leaf.length; k++) {
        leaf[k] = -rate * gLeaf[k] / (hLeaf[k] + 1);
      }
      Tree tree = new Tree(feature, split, leaf);
      trees.add(tree);
      for (int i = 0; i < n; i++) {
        margin[i] += leaf[node[i] - internal];
      }
    }
    double[] mean = new double[d];
    double[] scale = new double[d];
    Arrays.fill(scale, 1);
    return new VerifierModel(names, mean, scale, new double[d], prior, threshold, trees);
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** Solves {@code m x = v} by Gaussian elimination with partial pivoting. */
  private static double[] solve(double[][] m, double[] v) {
    int k = v.length;
    double[][] a = new double[k][];
    for (int i = 0; i < k; i++) {
      a[i] = Arrays.copyOf(m[i], k + 1);
      a[i][k] = v[i];
    }
    for (int c = 0; c < k; c++) {
      int pivot = c;
      for (int r = c + 1; r < k; r++) {
        if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) {
          pivot = r;
        }
      }
      double[] t = a[c];
      a[c] = a[pivot];
      a[pivot] = t;
      if (Math.abs(a[c][c]) < 1e-15) {
        continue;
      }
      for (int r = c + 1; r < k; r++) {
        double f = a[r][c] / a[c][c];
        for (int q = c; q <= k; q++) {
          a[r][q] -= f * a[c][q];
        }
      }
    }
    double[] x = new double[k];
    for (int r = k - 1; r >= 0; r--) {
      double s = a[r][k];
      for (int q = r + 1; q < k; q++) {
        s -= a[r][q] * x[q];
      }
      x[r] = Math.abs(a[r][r]) < 1e-15 ? 0 : s / a[r][r];
    }
    return x;
  }

  @Override
  public String toString() {
    return "VerifierModel["
        + names.size()
        + " features, "
        + trees.size()
        + " trees, threshold="
        + threshold
        + "]";
  }
}

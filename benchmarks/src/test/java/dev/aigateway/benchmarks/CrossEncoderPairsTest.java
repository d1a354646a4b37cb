package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The cross-encoder's inputs: the pair tokenisation and the lines the training script reads. */
class CrossEncoderPairsTest {

  @Test
  void pairEncodingMarksTheTwoPromptsWithTypeIdsAndPadsNothing() throws Exception {
    try (HuggingFaceTokenizer tokenizer = CrossEncoderPairs.tokenizer()) {
      Encoding e = tokenizer.encode("How do I reset my password?", "Reset my password.");
      long[] ids = e.getIds();
      long[] types = e.getTypeIds();
      // [CLS] how do i reset my password ? [SEP] reset my password . [SEP]
      assertThat(ids).hasSize(14);
      assertThat(ids[0]).isEqualTo(101L);
      assertThat(ids[8]).isEqualTo(102L);
      assertThat(ids[13]).isEqualTo(102L);
      assertThat(Arrays.copyOfRange(types, 0, 9)).containsOnly(0L);
      assertThat(Arrays.copyOfRange(types, 9, 14)).containsOnly(1L);
      assertThat(e.getAttentionMask()).containsOnly(1L);
    }
  }

  @Test
  void aLongPairIsCutToTheMaximumLengthFromItsLongerSide() throws Exception {
    String longText = "word ".repeat(400).trim();
    try (HuggingFaceTokenizer tokenizer = CrossEncoderPairs.tokenizer()) {
      Encoding e = tokenizer.encode(longText, "is it short?");
      long[] types = e.getTypeIds();
      assertThat(e.getIds()).hasSize(CrossEncoderPairs.MAX_LENGTH);
      // the short incoming prompt is kept whole: "is it short ?" and its [SEP]
      assertThat(Arrays.stream(types).filter(t -> t == 1).count()).isEqualTo(5);
      assertThat(e.getIds()[CrossEncoderPairs.MAX_LENGTH - 1]).isEqualTo(102L);
    }
  }

  @Test
  void aLineCarriesSetLabelCategoryCosineIdsAndTypeIds() throws Exception {
    try (HuggingFaceTokenizer tokenizer = CrossEncoderPairs.tokenizer()) {
      String[] row = {"near_miss", "entity", "weather lyon", "weather lille", "judged8-search"};
      String line =
          CrossEncoderPairs.line("judged-8", row, 0.8123456, tokenizer.encode(row[2], row[3]));
      String[] fields = line.split("\t", -1);
      assertThat(fields).hasSize(6);
      assertThat(fields[0]).isEqualTo("judged-8");
      assertThat(fields[1]).isEqualTo("near_miss");
      assertThat(fields[2]).isEqualTo("entity");
      assertThat(fields[3]).isEqualTo("0.812346");
      String[] ids = fields[4].split(" ");
      String[] types = fields[5].split(" ");
      assertThat(ids).hasSameSizeAs(types);
      assertThat(ids[0]).isEqualTo("101");
      assertThat(types[0]).isEqualTo("0");
      assertThat(types[types.length - 1]).isEqualTo("1");
    }
  }

  @Test
  void cosineIsInDoublePrecisionAndZeroForAZeroVector() {
    assertThat(CrossEncoderPairs.cosine(new float[] {1, 0}, new float[] {1, 1}))
        .isCloseTo(Math.sqrt(0.5), within(1e-12));
    assertThat(CrossEncoderPairs.cosine(new float[] {0, 0}, new float[] {1, 1})).isZero();
  }

  @Test
  void theTrainingSetsLeaveOutTheBlindSet() {
    assertThat(CrossEncoderPairs.SETS).doesNotContain("judged-9").contains("judged-8", "pairs");
  }
}

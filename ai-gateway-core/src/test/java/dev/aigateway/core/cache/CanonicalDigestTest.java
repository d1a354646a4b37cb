package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CanonicalDigestTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static String key(String json, String... ignored) throws Exception {
    return new CanonicalDigest().addMembers(JSON.readTree(json), Set.of(ignored)).key();
  }

  @Test
  void memberOrderAndWhitespaceDoNotMatter() throws Exception {
    assertThat(key("{\"a\":1,\"b\":{\"x\":[1,2],\"y\":\"z\"}}"))
        .isEqualTo(key(" { \"b\" : { \"y\":\"z\", \"x\" : [ 1 , 2 ] } ,\n\"a\": 1 }"));
  }

  @Test
  void numbersCountByValue() throws Exception {
    assertThat(key("{\"t\":1}"))
        .isEqualTo(key("{\"t\":1.0}"))
        .isEqualTo(key("{\"t\":1e0}"))
        .isEqualTo(key("{\"t\":10E-1}"));
    assertThat(key("{\"t\":0.7}")).isEqualTo(key("{\"t\":0.70}"));
    assertThat(key("{\"t\":0}")).isEqualTo(key("{\"t\":0.0}")).isEqualTo(key("{\"t\":-0.0}"));
    assertThat(key("{\"t\":0.7}")).isNotEqualTo(key("{\"t\":0.75}"));
    // A whole number written with a fraction or an exponent is the integer it equals.
    assertThat(key("{\"max_tokens\":100}"))
        .isEqualTo(key("{\"max_tokens\":100.0}"))
        .isEqualTo(key("{\"max_tokens\":1e2}"))
        .isEqualTo(key("{\"max_tokens\":1000E-1}"));
    assertThat(key("{\"t\":-20}")).isEqualTo(key("{\"t\":-2.0e1}"));
    assertThat(key("{\"t\":100}")).isNotEqualTo(key("{\"t\":1e3}"));
  }

  @Test
  void stringsCountByTheirCharactersWhateverTheEscaping() throws Exception {
    assertThat(key("{\"m\":\"caf\\u00e9 \\\"x\\\"\"}"))
        .isEqualTo(key("{\"m\":\"café \\\"x\\\"\"}"));
  }

  @Test
  void arrayOrderMatters() throws Exception {
    assertThat(key("{\"a\":[1,2]}")).isNotEqualTo(key("{\"a\":[2,1]}"));
  }

  @Test
  void valuesNeverRunTogether() throws Exception {
    assertThat(key("{\"a\":\"bc\"}")).isNotEqualTo(key("{\"ab\":\"c\"}"));
    assertThat(key("{\"a\":[\"b\",\"c\"]}")).isNotEqualTo(key("{\"a\":[\"bc\"]}"));
    assertThat(key("{\"a\":\"1\"}")).isNotEqualTo(key("{\"a\":1}"));
    assertThat(key("{\"a\":null}")).isNotEqualTo(key("{\"a\":\"n\"}"));
    assertThat(key("{\"a\":[[1],2]}")).isNotEqualTo(key("{\"a\":[1,[2]]}"));
  }

  @Test
  void ignoredTopLevelFieldsAreLeftOutButNotNestedOnes() throws Exception {
    assertThat(key("{\"a\":1,\"stream\":true}", "stream")).isEqualTo(key("{\"a\":1}", "stream"));
    assertThat(key("{\"a\":{\"stream\":true}}", "stream"))
        .isNotEqualTo(key("{\"a\":{}}", "stream"));
  }

  @Test
  void labelledPartsSeparateKeys() {
    JsonNode empty = JSON.createObjectNode();
    String a = new CanonicalDigest().add("model", "gpt-4o").add(empty).key();
    String b = new CanonicalDigest().add("model", "gpt-4o-mini").add(empty).key();
    String nullModel = new CanonicalDigest().add("model", null).add(empty).key();

    assertThat(a).isNotEqualTo(b).isNotEqualTo(nullModel).hasSize(43);
  }
}

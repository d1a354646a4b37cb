package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TopLevelMembersTest {

  private static final String[] MODELS = {
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4o-minj",
    "gpt-4o-mini-2024-07-18",
    "m\u00f6del",
    "",
    "gpt-4o-mini",
    "GPT-4O-MINI",
    "gpt-4o-mini "
  };

  /**
   * Whatever object any walk read before (in this walker, or in another: the model read last is
   * shared), a walk reads the model its own object names.
   */
  @Test
  void eachWalkReadsItsOwnObjectsModelWhateverWalksReadBefore() {
    Random random = new Random(5);
    TopLevelMembers reused = new TopLevelMembers(StrictJson.NOT_NOTING, false);
    for (int run = 0; run < 2_000; run++) {
      String model = MODELS[random.nextInt(MODELS.length)];
      byte[] json =
          ("{\"id\":\"c\",\"model\":\"" + model + "\",\"choices\":[],\"usage\":null}")
              .getBytes(UTF_8);
      TopLevelMembers walker =
          random.nextBoolean() ? reused : new TopLevelMembers(StrictJson.NOT_NOTING, false);
      assertThat(walker.walk(json, 0, json.length)).isTrue();
      assertThat(walker.model()).isEqualTo(model);
    }
  }

  /** A model written with escapes is refused (left to Jackson), whatever model was read before. */
  @Test
  void aModelWithEscapesIsRefusedAfterTheSameModelWithout() {
    TopLevelMembers walker = new TopLevelMembers(StrictJson.NOT_NOTING, false);
    byte[] plain = "{\"model\":\"gpt-4o\"}".getBytes(UTF_8);
    byte[] escaped = "{\"model\":\"gpt\\u002d4o\"}".getBytes(UTF_8);
    assertThat(walker.walk(plain, 0, plain.length)).isTrue();
    assertThat(walker.walk(escaped, 0, escaped.length)).isFalse();
    assertThat(new TopLevelMembers(StrictJson.NOT_NOTING, false).walk(escaped, 0, escaped.length))
        .isFalse();
    assertThat(walker.walk(plain, 0, plain.length)).isTrue();
    assertThat(walker.model()).isEqualTo("gpt-4o");
  }

  @Test
  void anObjectWithoutATextModelHasNoneAfterOneThatHadOne() {
    TopLevelMembers walker = new TopLevelMembers(StrictJson.NOT_NOTING, false);
    byte[] named = "{\"model\":\"gpt-4o\"}".getBytes(UTF_8);
    assertThat(walker.walk(named, 0, named.length)).isTrue();
    assertThat(walker.model()).isEqualTo("gpt-4o");

    for (String other : new String[] {"{\"model\":null}", "{\"model\":7}", "{\"id\":\"x\"}"}) {
      byte[] json = other.getBytes(UTF_8);
      assertThat(new TopLevelMembers(StrictJson.NOT_NOTING, false).walk(json, 0, json.length))
          .isTrue();
      assertThat(walker.walk(json, 0, json.length)).isTrue();
      assertThat(walker.model()).as(other).isNull();
    }
  }
}

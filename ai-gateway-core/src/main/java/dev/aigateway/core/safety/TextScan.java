package dev.aigateway.core.safety;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A content safety's text rules compiled into one scan of a text: every built-in personal-data
 * detector among them shares one pass ({@link PiiScan}); each other rule (custom detectors, deny
 * lists, deny patterns) runs its own finder after it. Every span found is tagged with the index of
 * the rule that found it, so the stage acts on each rule's findings in the configured order.
 * Immutable and thread-safe.
 */
final class TextScan {

  private final @Nullable PiiScan builtIns;
  private final TextRule.Finder[] others;
  private final int[] otherTags;

  private TextScan(@Nullable PiiScan builtIns, TextRule.Finder[] others, int[] otherTags) {
    this.builtIns = builtIns;
    this.others = others;
    this.otherTags = otherTags;
  }

  /** The scan of {@code rules}; a built-in detector may appear in one rule only. */
  static TextScan of(List<TextRule> rules) {
    int[] slots = new int[PiiScan.SLOTS];
    Arrays.fill(slots, -1);
    boolean anyBuiltIn = false;
    List<TextRule.Finder> others = new ArrayList<>();
    int[] otherTags = new int[rules.size()];
    for (int i = 0; i < rules.size(); i++) {
      TextRule rule = rules.get(i);
      if (rule.detector() instanceof PiiDetector.BuiltIn builtIn) {
        if (slots[builtIn.slot()] >= 0) {
          throw new IllegalArgumentException(
              "personal data of kind " + builtIn.kind() + " is checked twice");
        }
        slots[builtIn.slot()] = i;
        anyBuiltIn = true;
      } else {
        otherTags[others.size()] = i;
        others.add(rule.finder());
      }
    }
    return new TextScan(
        anyBuiltIn ? new PiiScan(slots) : null,
        others.toArray(TextRule.Finder[]::new),
        Arrays.copyOf(otherTags, others.size()));
  }

  /** Adds what every rule finds in {@code text} to {@code out}, each span tagged with its rule. */
  void find(String text, Spans out) {
    if (builtIns != null) {
      builtIns.find(text, out);
    }
    for (int k = 0; k < others.length; k++) {
      out.tagNext(otherTags[k]);
      others[k].find(text, out);
    }
  }
}

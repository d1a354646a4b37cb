package dev.aigateway.core.cache;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named word lists read from a UTF-8 text resource. {@code ## name} starts a list; {@code #} starts
 * a comment line; each other line is a record of comma-separated entries (phrases may hold spaces),
 * and a line that ends with a comma or {@code |} goes on on the next line. Entries are trimmed;
 * empty ones are dropped.
 *
 * <pre>
 * ## opposites
 * enable, turn on | disable, turn off
 * ## multipliers
 * k: 1e3, million: 1e6
 * </pre>
 */
final class WordLists {

  private final String resource;
  private final Map<String, List<String>> records;

  private WordLists(String resource, Map<String, List<String>> records) {
    this.resource = resource;
    this.records = records;
  }

  /**
   * Reads a resource beside {@code owner}.
   *
   * @throws IllegalStateException when it is missing or malformed (the build ships it)
   */
  static WordLists read(Class<?> owner, String name) {
    try (InputStream in = owner.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(
            "word list resource " + name + " is missing beside " + owner.getName());
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      Map<String, List<String>> records = new LinkedHashMap<>();
      List<String> current = null;
      StringBuilder record = new StringBuilder();
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        String text = line.strip();
        if (text.startsWith("## ")) {
          current = new ArrayList<>();
          records.put(text.substring(3).strip(), current);
          continue;
        }
        if (text.isEmpty() || text.startsWith("#")) {
          continue;
        }
        if (current == null) {
          throw new IllegalStateException(
              name + " line " + number + ": entries before the first '## name' line");
        }
        record.append(record.length() == 0 ? "" : " ").append(text);
        if (!text.endsWith(",") && !text.endsWith("|")) {
          current.add(record.toString());
          record.setLength(0);
        }
      }
      return new WordLists(name, records);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read word list resource " + name, e);
    }
  }

  /** Every entry of every record of a list, in order. */
  List<String> words(String list) {
    List<String> words = new ArrayList<>();
    for (String record : section(list)) {
      words.addAll(split(record, ","));
    }
    return List.copyOf(words);
  }

  /** Each record of a list as its entries. */
  List<List<String>> records(String list) {
    List<List<String>> records = new ArrayList<>();
    for (String record : section(list)) {
      records.add(split(record, ","));
    }
    return List.copyOf(records);
  }

  /** Each record of a list as its two sides around {@code |}, each side its entries. */
  List<List<List<String>>> pairs(String list) {
    List<List<List<String>>> pairs = new ArrayList<>();
    for (String record : section(list)) {
      List<String> sides = split(record, "|");
      if (sides.size() != 2) {
        throw new IllegalStateException(
            resource
                + " list '"
                + list
                + "': a record must have two sides around '|' but was: "
                + record);
      }
      pairs.add(List.of(split(sides.get(0), ","), split(sides.get(1), ",")));
    }
    return List.copyOf(pairs);
  }

  /** The {@code key: value} entries of a list, in order. */
  Map<String, String> orderedValues(String list) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String entry : words(list)) {
      int colon = entry.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalStateException(
            resource + " list '" + list + "': an entry must read 'key: value' but was: " + entry);
      }
      values.put(entry.substring(0, colon).strip(), entry.substring(colon + 1).strip());
    }
    return values;
  }

  /** The {@code key: number} entries of a list. */
  Map<String, Double> numbers(String list) {
    Map<String, Double> numbers = new LinkedHashMap<>();
    orderedValues(list)
        .forEach(
            (key, value) -> {
              try {
                numbers.put(key, Double.parseDouble(value));
              } catch (NumberFormatException e) {
                throw new IllegalStateException(
                    resource + " list '" + list + "': '" + key + "' has no number but " + value, e);
              }
            });
    return Map.copyOf(numbers);
  }

  private List<String> section(String list) {
    List<String> section = records.get(list);
    if (section == null) {
      throw new IllegalStateException(resource + " has no list '" + list + "'");
    }
    return section;
  }

  private static List<String> split(String record, String separator) {
    List<String> entries = new ArrayList<>();
    int from = 0;
    while (from <= record.length()) {
      int at = record.indexOf(separator, from);
      int to = at < 0 ? record.length() : at;
      String entry = record.substring(from, to).strip();
      if (!entry.isEmpty()) {
        entries.add(entry);
      }
      from = to + separator.length();
    }
    return List.copyOf(entries);
  }
}

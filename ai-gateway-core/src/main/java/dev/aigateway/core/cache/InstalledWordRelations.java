package dev.aigateway.core.cache;

import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Holds {@link WordRelations#installed()}: the {@link ServiceLoader} result, found on first use.
 */
final class InstalledWordRelations {

  static final WordRelations RELATIONS = find();

  private InstalledWordRelations() {}

  private static WordRelations find() {
    try {
      for (WordRelations relations :
          ServiceLoader.load(WordRelations.class, WordRelations.class.getClassLoader())) {
        return relations;
      }
    } catch (ServiceConfigurationError e) {
      return WordRelations.NONE; // a broken provider: the guard falls back to its own lists
    }
    return WordRelations.NONE;
  }
}

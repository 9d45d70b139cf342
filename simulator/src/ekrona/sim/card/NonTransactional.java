package ekrona.sim.card;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a persistent field of a runtime object whose updates a real card does not journal (the PIN try counter,
 * the initialised state of a crypto object). Such fields are saved and counted, but a transaction rollback leaves
 * them as they are.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface NonTransactional {
}

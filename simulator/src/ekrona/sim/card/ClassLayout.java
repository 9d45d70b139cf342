package ekrona.sim.card;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The persistent fields of one class, cached: every instance field of the class and its superclasses, superclass
 * first and sorted by name within a class (stable across builds). Java {@code transient} fields of the runtime's
 * own classes (javacard.*, javacardx.*, ekrona.sim.*) hold JDK caches and are left out; applet classes are taken
 * as they are, since Java Card has no such modifier.
 */
public final class ClassLayout {
    private static final ClassValue<ClassLayout> CACHE = new ClassValue<>() {
        @Override
        protected ClassLayout computeValue(Class<?> type) {
            return new ClassLayout(type);
        }
    };

    final Class<?> type;
    final Field[] fields;
    final boolean[] transactional;
    final boolean[] reference;
    final int[] cardSize;
    /** JDK classes are opaque: never walked, never saved. */
    final boolean opaque;
    private long fingerprint;

    private ClassLayout(Class<?> type) {
        this.type = type;
        this.opaque = isJdkClass(type.getName());
        List<Field> list = new ArrayList<>();
        if (!opaque && !type.isArray()) {
            collect(type, list);
        }
        fields = list.toArray(new Field[0]);
        transactional = new boolean[fields.length];
        reference = new boolean[fields.length];
        cardSize = new int[fields.length];
        for (int i = 0; i < fields.length; i++) {
            Field f = fields[i];
            f.setAccessible(true);
            transactional[i] = !f.isAnnotationPresent(NonTransactional.class);
            reference[i] = !f.getType().isPrimitive();
            cardSize[i] = cardSizeOf(f.getType());
        }
    }

    public static ClassLayout of(Class<?> type) {
        return CACHE.get(type);
    }

    static boolean isJdkClass(String name) {
        return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.")
                || name.startsWith("sun.") || name.startsWith("com.sun.");
    }

    static boolean isRuntimeClass(String name) {
        return name.startsWith("javacard.") || name.startsWith("javacardx.") || name.startsWith("ekrona.sim.");
    }

    private static void collect(Class<?> type, List<Field> out) {
        if (type == null || type == Object.class) {
            return;
        }
        collect(type.getSuperclass(), out);
        boolean runtime = isRuntimeClass(type.getName());
        Field[] declared = type.getDeclaredFields();
        Arrays.sort(declared, Comparator.comparing(Field::getName));
        for (Field f : declared) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) || f.isSynthetic() || (runtime && Modifier.isTransient(m))) {
                continue;
            }
            out.add(f);
        }
    }

    /** Bytes a value of this type takes in card memory: references are 2-byte handles on a Java Card. */
    static int cardSizeOf(Class<?> type) {
        if (type == boolean.class || type == byte.class) {
            return 1;
        }
        if (type == short.class || type == char.class) {
            return 2;
        }
        if (type == int.class || type == float.class) {
            return 4;
        }
        if (type == long.class || type == double.class) {
            return 8;
        }
        return 2;
    }

    int indexOf(String fieldName) {
        for (int i = fields.length - 1; i >= 0; i--) {
            if (fields[i].getName().equals(fieldName)) {
                return i;
            }
        }
        throw new IllegalArgumentException(type.getName() + " has no persistent field " + fieldName);
    }

    int totalFieldBytes() {
        int sum = 0;
        for (int size : cardSize) {
            sum += size;
        }
        return sum;
    }

    Object read(Object target, int i) {
        try {
            return fields[i].get(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    void write(Object target, int i, Object value) {
        try {
            fields[i].set(target, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    Object[] readAll(Object target) {
        Object[] values = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            values[i] = read(target, i);
        }
        return values;
    }

    /** A hash of the field layout: a state file written by a build with other fields is refused. */
    synchronized long fingerprint(List<Field> staticFields) {
        if (fingerprint == 0) {
            StringBuilder text = new StringBuilder(type.getName()).append('{');
            for (Field f : fields) {
                text.append(f.getDeclaringClass().getName()).append('.').append(f.getName()).append(':')
                        .append(f.getType().getName()).append(';');
            }
            text.append("}static{");
            for (Field f : staticFields) {
                text.append(f.getName()).append(':').append(f.getType().getName()).append(';');
            }
            fingerprint = hash(text.toString());
        }
        return fingerprint;
    }

    static long hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xFF);
            }
            return v == 0 ? 1 : v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes of one array element in card memory. */
    static int elementSize(Object array) {
        Class<?> component = array.getClass().getComponentType();
        return cardSizeOf(component);
    }
}

package ekrona.sim.card;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The applet packages this JVM has loaded, with their static fields. A Java Card package (one CAP file) is one Java
 * package: all its classes are loaded and initialised when the first card installs from it, and the values their
 * static initialisers produced are kept as the "pristine" statics that every other card starts from.
 */
final class AppletPackages {
    /** One applet package: its classes' static fields and their values right after class initialisation. */
    static final class PackageInfo {
        final String name;
        final List<Class<?>> classes;
        /** Non-final static fields: persistent, transactional, saved, and swapped per card. */
        final List<Field> staticFields;
        /** Static final reference fields: their objects are walked (and journaled) but never reassigned. */
        final List<Field> finalReferenceFields;
        private final Object[] pristine;

        PackageInfo(String name, List<Class<?>> classes) {
            this.name = name;
            this.classes = classes;
            staticFields = new ArrayList<>();
            finalReferenceFields = new ArrayList<>();
            for (Class<?> c : classes) {
                Field[] declared = c.getDeclaredFields();
                java.util.Arrays.sort(declared, Comparator.comparing(Field::getName));
                for (Field f : declared) {
                    int m = f.getModifiers();
                    if (!Modifier.isStatic(m) || f.isSynthetic()) {
                        continue;
                    }
                    f.setAccessible(true);
                    if (!Modifier.isFinal(m)) {
                        staticFields.add(f);
                    } else if (!f.getType().isPrimitive()) {
                        finalReferenceFields.add(f);
                    }
                }
            }
            pristine = new Object[staticFields.size()];
            for (int i = 0; i < pristine.length; i++) {
                pristine[i] = copyOf(get(staticFields.get(i)));
            }
        }

        /** The value a card that never ran this package sees: a fresh copy of what the static initialiser made. */
        Object pristineValue(int i) {
            return copyOf(pristine[i]);
        }

        /** Puts back what the static initialisers made (after a failed install by a card that has no applet here). */
        void resetToPristine() {
            for (int i = 0; i < staticFields.size(); i++) {
                set(staticFields.get(i), pristineValue(i));
            }
        }

        List<Field> staticFieldsOf(Class<?> c) {
            List<Field> out = new ArrayList<>();
            for (Field f : staticFields) {
                if (f.getDeclaringClass() == c) {
                    out.add(f);
                }
            }
            return out;
        }
    }

    private static final Map<String, PackageInfo> PACKAGES = new LinkedHashMap<>();

    private AppletPackages() {
    }

    static synchronized PackageInfo ensure(Class<?> member) throws IOException {
        String name = member.getPackageName();
        PackageInfo info = PACKAGES.get(name);
        if (info == null) {
            info = new PackageInfo(name, loadPackage(member));
            PACKAGES.put(name, info);
        }
        return info;
    }

    static synchronized PackageInfo get(String name) {
        return PACKAGES.get(name);
    }

    static synchronized Collection<PackageInfo> all() {
        return new ArrayList<>(PACKAGES.values());
    }

    static Object get(Field f) {
        try {
            return f.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static void set(Field f, Object value) {
        try {
            f.set(null, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object copyOf(Object value) {
        if (value instanceof byte[] b) {
            return b.clone();
        }
        if (value instanceof short[] s) {
            return s.clone();
        }
        if (value instanceof boolean[] z) {
            return z.clone();
        }
        if (value instanceof int[] i) {
            return i.clone();
        }
        if (value instanceof Object[] o) {
            return o.clone();
        }
        return value;
    }

    /** Every class of the member's package, found where the member was loaded from (a folder or a jar). */
    private static List<Class<?>> loadPackage(Class<?> member) throws IOException {
        String pkg = member.getPackageName();
        String folder = pkg.replace('.', '/');
        List<String> names = new ArrayList<>();
        CodeSource source = member.getProtectionDomain().getCodeSource();
        if (source != null && source.getLocation() != null) {
            Path location;
            try {
                location = Path.of(source.getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
            if (Files.isDirectory(location)) {
                Path dir = location.resolve(folder);
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.class")) {
                    for (Path f : files) {
                        String file = f.getFileName().toString();
                        names.add(pkg + "." + file.substring(0, file.length() - ".class".length()));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    for (JarEntry e : java.util.Collections.list(jar.entries())) {
                        String entry = e.getName();
                        if (entry.startsWith(folder + "/") && entry.endsWith(".class")
                                && entry.indexOf('/', folder.length() + 1) < 0) {
                            names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
                        }
                    }
                }
            }
        }
        if (!names.contains(member.getName())) {
            names.add(member.getName());
        }
        names.sort(null);
        List<Class<?>> classes = new ArrayList<>();
        for (String n : names) {
            try {
                classes.add(Class.forName(n, true, member.getClassLoader()));
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IOException("cannot load class " + n + " of applet package " + pkg + ": " + e, e);
            }
        }
        return classes;
    }
}

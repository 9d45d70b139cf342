package ekrona.sim.card;

import ekrona.sim.runner.RunnerException;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A card's persistent memory on disk: the object graph reachable from its registry and from the static fields of its
 * applet packages, written by our own reflection-based serializer (applet classes cannot be java.io.Serializable),
 * plus the shape of every transient array (length, type, clear event; never its content). Each class is stored with
 * a fingerprint of its field layout, so a file written by another build is refused with one sentence. Written
 * atomically: a temporary file, fsync, rename. Format 2 ends with the SHA-256 of everything before it, so that a file
 * damaged outside the runner (cut short, altered) is refused as damaged rather than misread; format 1 files (no
 * digest) are still read.
 */
final class StateFile {
    private static final byte[] MAGIC = "EKRCARD\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 2;
    /** The first format, without the digest at the end: still read. */
    private static final int FORMAT_WITHOUT_DIGEST = 1;
    private static final int DIGEST_LENGTH = 32;

    private static final int KIND_OBJECT = 1;
    private static final int KIND_ARRAY = 2;
    private static final int KIND_TRANSIENT = 3;
    private static final int REF_NULL = -1;
    private static final int REF_APDU_BUFFER = -2;
    private static final int REF_APDU = -3;

    private StateFile() {
    }

    // ---------------------------------------------------------------- writing

    static void write(Card card) throws RunnerException {
        Path file = card.stateFile;
        byte[] bytes;
        try {
            bytes = encode(card);
        } catch (IllegalStateException e) {
            throw new RunnerException("cannot save card " + card.name + ": " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        Path temp = dir.resolve("." + file.getFileName() + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
                out.write(bytes);
                out.getFD().sync();
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // Some file systems cannot fsync a directory; the rename is still atomic.
            }
        } catch (IOException e) {
            throw new RunnerException("cannot write state file " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] encode(Card card) {
        Map<Object, Integer> ids = new IdentityHashMap<>();
        List<Object> objects = new ArrayList<>();
        ArrayDeque<Object> queue = new ArrayDeque<>();
        Map<Class<?>, Integer> classes = new LinkedHashMap<>();
        List<AppletPackages.PackageInfo> packages = card.packages();

        add(card.registry, card, ids, objects, queue);
        for (AppletPackages.PackageInfo pkg : packages) {
            for (Field f : pkg.staticFields) {
                if (!f.getType().isPrimitive()) {
                    add(AppletPackages.get(f), card, ids, objects, queue);
                }
            }
        }
        Object node;
        while ((node = queue.poll()) != null) {
            if (card.transients.contains(node)) {
                continue;
            }
            if (node instanceof Object[] refs) {
                for (Object r : refs) {
                    add(r, card, ids, objects, queue);
                }
            } else if (!node.getClass().isArray()) {
                ClassLayout layout = ClassLayout.of(node.getClass());
                for (int i = 0; i < layout.fields.length; i++) {
                    if (layout.reference[i]) {
                        add(layout.read(node, i), card, ids, objects, queue);
                    }
                }
            }
        }
        for (Object o : objects) {
            classIndex(o.getClass(), classes);
        }
        for (AppletPackages.PackageInfo pkg : packages) {
            for (Class<?> c : pkg.classes) {
                if (!pkg.staticFieldsOf(c).isEmpty()) {
                    classIndex(c, classes);
                }
            }
        }

        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream(4096);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(buffer))) {
            out.write(MAGIC);
            out.writeShort(FORMAT_VERSION);
            out.writeUTF(card.name);
            out.writeInt(classes.size());
            for (Class<?> c : classes.keySet()) {
                out.writeUTF(c.getName());
                out.writeLong(fingerprint(c));
            }
            out.writeInt(objects.size());
            for (Object o : objects) {
                TransientMemory.Info info = card.transients.info(o);
                if (info != null) {
                    out.writeByte(KIND_TRANSIENT);
                    out.writeInt(classes.get(o.getClass()));
                    out.writeInt(Array.getLength(o));
                    out.writeByte(info.event());
                    out.writeUTF(info.context() == null ? "" : info.context());
                } else if (o.getClass().isArray()) {
                    out.writeByte(KIND_ARRAY);
                    out.writeInt(classes.get(o.getClass()));
                    out.writeInt(Array.getLength(o));
                } else {
                    out.writeByte(KIND_OBJECT);
                    out.writeInt(classes.get(o.getClass()));
                }
            }
            for (Object o : objects) {
                if (card.transients.contains(o)) {
                    continue;
                }
                if (o.getClass().isArray()) {
                    Class<?> component = o.getClass().getComponentType();
                    int n = Array.getLength(o);
                    for (int i = 0; i < n; i++) {
                        writeValue(out, component, Array.get(o, i), ids, card);
                    }
                } else {
                    ClassLayout layout = ClassLayout.of(o.getClass());
                    for (int i = 0; i < layout.fields.length; i++) {
                        writeValue(out, layout.fields[i].getType(), layout.read(o, i), ids, card);
                    }
                }
            }
            out.writeInt(ids.get(card.registry));
            List<Class<?>> withStatics = new ArrayList<>();
            for (AppletPackages.PackageInfo pkg : packages) {
                for (Class<?> c : pkg.classes) {
                    if (!pkg.staticFieldsOf(c).isEmpty()) {
                        withStatics.add(c);
                    }
                }
            }
            out.writeInt(withStatics.size());
            for (Class<?> c : withStatics) {
                List<Field> fields = AppletPackages.get(c.getPackageName()).staticFieldsOf(c);
                out.writeInt(classes.get(c));
                out.writeShort(fields.size());
                for (Field f : fields) {
                    out.writeUTF(f.getName());
                    writeValue(out, f.getType(), AppletPackages.get(f), ids, card);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] body = buffer.toByteArray();
        byte[] file = Arrays.copyOf(body, body.length + DIGEST_LENGTH);
        System.arraycopy(sha256(body, body.length), 0, file, body.length, DIGEST_LENGTH);
        return file;
    }

    private static byte[] sha256(byte[] bytes, int length) {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            digest.update(bytes, 0, length);
            return digest.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    private static void add(Object o, Card card, Map<Object, Integer> ids, List<Object> objects,
            ArrayDeque<Object> queue) {
        if (o == null || ids.containsKey(o) || card.isSystemObject(o)) {
            return;
        }
        if (!o.getClass().isArray() && ClassLayout.of(o.getClass()).opaque) {
            throw new IllegalStateException("its persistent memory holds a " + o.getClass().getName()
                    + ", which a Java Card cannot hold");
        }
        ids.put(o, objects.size());
        objects.add(o);
        queue.add(o);
    }

    private static void classIndex(Class<?> c, Map<Class<?>, Integer> classes) {
        classes.computeIfAbsent(c, k -> classes.size());
    }

    private static long fingerprint(Class<?> c) {
        if (c.isArray()) {
            return 0;
        }
        AppletPackages.PackageInfo pkg = AppletPackages.get(c.getPackageName());
        List<Field> statics = pkg == null ? List.of() : pkg.staticFieldsOf(c);
        return ClassLayout.of(c).fingerprint(statics);
    }

    private static void writeValue(DataOutputStream out, Class<?> type, Object value, Map<Object, Integer> ids,
            Card card) throws IOException {
        if (type == boolean.class) {
            out.writeBoolean((Boolean) value);
        } else if (type == byte.class) {
            out.writeByte((Byte) value);
        } else if (type == short.class) {
            out.writeShort((Short) value);
        } else if (type == char.class) {
            out.writeChar((Character) value);
        } else if (type == int.class) {
            out.writeInt((Integer) value);
        } else if (type == long.class) {
            out.writeLong((Long) value);
        } else if (type == float.class) {
            out.writeFloat((Float) value);
        } else if (type == double.class) {
            out.writeDouble((Double) value);
        } else if (value == null) {
            out.writeInt(REF_NULL);
        } else if (value == card.apduBuffer()) {
            out.writeInt(REF_APDU_BUFFER);
        } else if (value == card.apduObject()) {
            out.writeInt(REF_APDU);
        } else {
            out.writeInt(ids.get(value));
        }
    }

    // ---------------------------------------------------------------- reading

    /** Loads the card's persistent memory from its state file, which exists. */
    static void read(Card card) throws RunnerException {
        Path file = card.stateFile;
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new RunnerException("cannot read state file " + file + ": " + e.getMessage(), e);
        }
        int headerLength = MAGIC.length + 2;
        if (bytes.length < headerLength || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new RunnerException("state file " + file + " is not an ekrona card state file");
        }
        int version = ((bytes[MAGIC.length] & 0xFF) << 8) | (bytes[MAGIC.length + 1] & 0xFF);
        int bodyLength = bytes.length;
        if (version == FORMAT_VERSION) {
            bodyLength = bytes.length - DIGEST_LENGTH;
            if (bodyLength < headerLength || !java.security.MessageDigest.isEqual(sha256(bytes, bodyLength),
                    Arrays.copyOfRange(bytes, bodyLength, bytes.length))) {
                throw damaged(file, "its SHA-256 does not match its contents: it was cut short or altered");
            }
        } else if (version != FORMAT_WITHOUT_DIGEST) {
            throw new RunnerException("state file " + file + " has format version " + version
                    + "; this runner reads versions " + FORMAT_WITHOUT_DIGEST + " and " + FORMAT_VERSION);
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes, headerLength, bodyLength - headerLength))) {
            in.readUTF();
            Class<?>[] classes = new Class<?>[in.readInt()];
            for (int i = 0; i < classes.length; i++) {
                classes[i] = resolve(file, in.readUTF(), in.readLong());
            }
            Object[] objects = new Object[in.readInt()];
            for (int i = 0; i < objects.length; i++) {
                int kind = in.readUnsignedByte();
                Class<?> type = classes[in.readInt()];
                switch (kind) {
                    case KIND_OBJECT -> objects[i] = instantiate(type);
                    case KIND_ARRAY -> objects[i] = Array.newInstance(type.getComponentType(), in.readInt());
                    case KIND_TRANSIENT -> {
                        Object array = Array.newInstance(type.getComponentType(), in.readInt());
                        byte event = in.readByte();
                        String context = in.readUTF();
                        card.transients.register(array, event, context.isEmpty() ? null : context, false);
                        objects[i] = array;
                    }
                    default -> throw new IOException("unknown object kind " + kind);
                }
            }
            for (Object o : objects) {
                if (card.transients.contains(o)) {
                    continue;
                }
                if (o.getClass().isArray()) {
                    Class<?> component = o.getClass().getComponentType();
                    int n = Array.getLength(o);
                    for (int i = 0; i < n; i++) {
                        Array.set(o, i, readValue(in, component, objects, card));
                    }
                } else {
                    ClassLayout layout = ClassLayout.of(o.getClass());
                    for (int i = 0; i < layout.fields.length; i++) {
                        layout.write(o, i, readValue(in, layout.fields[i].getType(), objects, card));
                    }
                }
            }
            card.registry = (JcreRegistry) objects[in.readInt()];
            int staticClasses = in.readInt();
            for (int c = 0; c < staticClasses; c++) {
                Class<?> type = classes[in.readInt()];
                AppletPackages.PackageInfo pkg = AppletPackages.get(type.getPackageName());
                int n = in.readUnsignedShort();
                for (int i = 0; i < n; i++) {
                    String fieldName = in.readUTF();
                    Field field = null;
                    for (Field f : pkg.staticFieldsOf(type)) {
                        if (f.getName().equals(fieldName)) {
                            field = f;
                        }
                    }
                    Object value = readValue(in, field.getType(), objects, card);
                    card.statics.put(field, value);
                }
            }
            card.statics.restoreLive();
        } catch (java.io.EOFException e) {
            throw damaged(file, "it ends before the card's memory does: it was cut short");
        } catch (IOException | RuntimeException e) {
            throw new RunnerException("cannot read state file " + file + ": " + e, e);
        }
    }

    private static RunnerException damaged(Path file, String why) {
        return new RunnerException("state file " + file + " is damaged (" + why
                + "); restore it from a copy, or delete it to start a new card");
    }

    private static Class<?> resolve(Path file, String name, long fingerprint) throws RunnerException {
        Class<?> type;
        try {
            type = Class.forName(name, false, StateFile.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new RunnerException("state file " + file + " needs class " + name
                    + ", which is not on the runner's classpath");
        }
        if (!type.isArray() && !ClassLayout.isRuntimeClass(name)) {
            try {
                AppletPackages.ensure(type);
            } catch (IOException e) {
                throw new RunnerException("cannot load the applet package of " + name + ": " + e.getMessage(), e);
            }
        }
        if (fingerprint != 0 && fingerprint(type) != fingerprint) {
            throw new RunnerException("state file " + file + " was written by a different build of class " + name
                    + " (its fields differ); delete the file to start a new card, or run the build that wrote it");
        }
        return type;
    }

    private static Object readValue(DataInputStream in, Class<?> type, Object[] objects, Card card)
            throws IOException {
        if (type == boolean.class) {
            return in.readBoolean();
        } else if (type == byte.class) {
            return in.readByte();
        } else if (type == short.class) {
            return in.readShort();
        } else if (type == char.class) {
            return in.readChar();
        } else if (type == int.class) {
            return in.readInt();
        } else if (type == long.class) {
            return in.readLong();
        } else if (type == float.class) {
            return in.readFloat();
        } else if (type == double.class) {
            return in.readDouble();
        }
        int ref = in.readInt();
        return switch (ref) {
            case REF_NULL -> null;
            case REF_APDU_BUFFER -> card.apduBuffer();
            case REF_APDU -> card.apduObject();
            default -> objects[ref];
        };
    }

    // ---------------------------------------------------------------- objects without constructors

    private static final ClassValue<Constructor<?>> SERIALIZATION_CONSTRUCTORS = new ClassValue<>() {
        @Override
        protected Constructor<?> computeValue(Class<?> type) {
            try {
                // jdk.unsupported's ReflectionFactory makes a constructor that allocates the class but runs only
                // Object's constructor: applet constructors allocate and register, which a load must not repeat.
                Class<?> factoryClass = Class.forName("sun.reflect.ReflectionFactory");
                Object factory = factoryClass.getMethod("getReflectionFactory").invoke(null);
                Method make = factoryClass.getMethod("newConstructorForSerialization", Class.class, Constructor.class);
                Constructor<?> c = (Constructor<?>) make.invoke(factory, type, Object.class.getDeclaredConstructor());
                c.setAccessible(true);
                return c;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot instantiate " + type.getName() + " without a constructor", e);
            }
        }
    };

    private static Object instantiate(Class<?> type) throws IOException {
        try {
            return SERIALIZATION_CONSTRUCTORS.get(type).newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot instantiate " + type.getName() + ": " + e, e);
        }
    }
}

import OrderedJSON
import Testing

/// `OrderedMap.storageIdentity`: shared by copies until one changes, never by maps with other entries.
@Suite struct StorageIdentityTests {
    @Test func copiesShareItUntilOneChanges() {
        let a: JSONObject = ["x": 1, "y": .array([true])]
        var b = a
        #expect(a.storageIdentity != nil && a.storageIdentity == b.storageIdentity)
        b["y"] = false
        #expect(b.storageIdentity != a.storageIdentity)
        var c = a
        c["z"] = 2
        #expect(c.storageIdentity != a.storageIdentity)
        var d = a
        d.removeValue(forKey: "x")
        #expect(d.storageIdentity != a.storageIdentity)
        // Equal entries in storage of their own are another identity (an identity is no hash).
        let e: JSONObject = ["x": 1, "y": .array([true])]
        #expect(e == a && e.storageIdentity != a.storageIdentity)
        #expect(JSONObject().storageIdentity == nil)
    }

    @Test func aValueInsideAChangedMapKeepsIt() {
        let inner: JSONObject = ["type": "string"]
        var outer: JSONObject = ["properties": .object(inner)]
        outer["required"] = .array(["a"])
        #expect(outer["properties"]?.objectValue?.storageIdentity == inner.storageIdentity)
    }
}

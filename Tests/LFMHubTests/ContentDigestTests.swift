import Testing
@testable import LFMHub

@Suite struct ContentDigestTests {
    @Test func sha256AndGitBlobIDs() {
        let d = ContentDigest(.sha256)
        d.update(Array("ab".utf8)[...])
        d.update(Array("c".utf8)[...])
        #expect(d.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let g = ContentDigest.gitBlob(size: 6)
        g.update(Array("hello\n".utf8)[...])
        #expect(g.finalizeHex() == "ce013625030ba8dba906f756967f9e9ca394464a")  // `git hash-object` of "hello\n"
    }
}

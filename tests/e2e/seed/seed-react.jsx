import { useEffect, useState, useCallback } from 'react';

function useWebSocket(token) {
  const [ws, setWs] = useState(null);
  const [isConnected, setIsConnected] = useState(false);
  const [messages, setMessages] = useState([]);
  const [onlineCount, setOnlineCount] = useState(0);

  useEffect(() => {
    if (!token) return;

    // å»ºç«‹è¿æ¥
    const websocket = new WebSocket(
      `ws://${location.host}/api/v1/ws?token=${token}`
    );

    websocket.onopen = () => {
      console.log('WebSocket è¿æ¥æˆåŠŸ');
      setIsConnected(true);
      
      // å¼€å§‹å¿ƒè·³
      const pingInterval = setInterval(() => {
        if (websocket.readyState === WebSocket.OPEN) {
          websocket.send(JSON.stringify({
            type: 'ping',
            timestamp: new Date().toISOString()
          }));
        }
      }, 30000);

      // ä¿å˜ interval ID ä»¥ä¾¿æ¸…ç†
      websocket.pingInterval = pingInterval;
    };

    websocket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      
      switch (message.type) {
        case 'connected':
          setOnlineCount(message.data.online_count);
          break;
        
        case 'notification':
          // æ˜¾ç¤ºé€šçŸ¥
          showNotification(message.data.title, message.data.message);
          setMessages(prev => [...prev, message]);
          break;
        
        case 'user_status':
          // æ›´æ–°ç”¨æˆ·çŠ¶æ€
          if (message.data.status === 'online') {
            setOnlineCount(prev => prev + 1);
          } else {
            setOnlineCount(prev => prev - 1);
          }
          break;
        
        case 'chat':
          // å¤„ç†èŠå¤©æ¶ˆæ¯
          setMessages(prev => [...prev, message]);
          break;
        
        case 'pong':
          // å¿ƒè·³å“åº”
          console.log('Pong received');
          break;
        
        case 'error':
          console.error('WebSocket é”™è¯¯:', message.message);
          break;
        
        default:
          console.log('æœªçŸ¥æ¶ˆæ¯ç±»å‹:', message.type);
      }
    };

    websocket.onclose = (event) => {
      console.log('WebSocket è¿æ¥å…³é—:', event.code);
      setIsConnected(false);
      
      // æ¸…ç†å¿ƒè·³
      if (websocket.pingInterval) {
        clearInterval(websocket.pingInterval);
      }
      
      // å°è¯•é‡è¿ï¼ˆå¯é€‰ï¼‰
      if (event.code !== 1000) {  // éæ£å¸¸å…³é—
        setTimeout(() => {
          console.log('å°è¯•é‡è¿...');
          // é‡è¿é€»è¾‘
        }, 5000);
      }
    };

    websocket.onerror = (error) => {
      console.error('WebSocket é”™è¯¯:', error);
    };

    setWs(websocket);

    // æ¸…ç†
    return () => {
      if (websocket.pingInterval) {
        clearInterval(websocket.pingInterval);
      }
      websocket.close();
    };
  }, [token]);

  const sendMessage = useCallback((message) => {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(message));
    }
  }, [ws]);

  const setTyping = useCallback((isTyping, context) => {
    sendMessage({
      type: 'typing',
      data: { is_typing: isTyping, context }
    });
  }, [sendMessage]);

  const setPresence = useCallback((status, data = {}) => {
    sendMessage({
      type: 'presence',
      status,
      data
    });
  }, [sendMessage]);

  return {
    isConnected,
    messages,
    onlineCount,
    sendMessage,
    setTyping,
    setPresence
  };
}

function showNotification(title, message) {
  // ä½¿ç”¨æµè§ˆå™¨é€šçŸ¥ API
  if (Notification.permission === 'granted') {
    new Notification(title, { body: message });
  }
}

// ä½¿ç”¨ç¤ºä¾‹
function App() {
  const token = localStorage.getItem('access_token');
  const { isConnected, messages, onlineCount, setTyping } = useWebSocket(token);

  return (
    <div>
      <h1>WebSocket æ¼”ç¤º</h1>
      <p>è¿æ¥çŠ¶æ€: {isConnected ? 'å·²è¿æ¥' : 'æœªè¿æ¥'}</p>
      <p>åœ¨çº¿ç”¨æˆ·: {onlineCount}</p>
      
      <div>
        <h2>æ¶ˆæ¯åˆ—è¡¨</h2>
        {messages.map((msg, idx) => (
          <div key={idx}>
            {msg.type === 'notification' && (
              <div>
                <strong>{msg.data.title}</strong>: {msg.data.message}
              </div>
            )}
          </div>
        ))}
      </div>
      
      <input
        type="text"
        onFocus={() => setTyping(true, 'main')}
        onBlur={() => setTyping(false, 'main')}
        placeholder="å¼€å§‹è¾“å…¥..."
      />
    </div>
  );
}
